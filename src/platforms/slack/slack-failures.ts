/** What an operator can do about the Slack errors a bot meets in normal use. */
const HINTS: Record<string, string> = {
  not_in_channel: 'the bot is not a member of this channel: invite it with /invite @<bot name>',
  channel_not_found: 'the channel does not exist or the bot cannot see it (a private channel it was never invited to?)',
  is_archived: 'the channel is archived',
  msg_too_long: 'Slack refused the message as too long',
  message_not_found: 'the message no longer exists (deleted by someone?)',
  cant_update_message: 'the message can no longer be edited',
  missing_scope: 'the app lacks an OAuth scope: update it from slack-app-manifest.yaml and reinstall it',
  not_authed: 'the bot token is missing: check SLACK_BOT_TOKEN',
  invalid_auth: 'the bot token is not valid: check SLACK_BOT_TOKEN',
  token_revoked: 'the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN',
  account_inactive: 'the app was uninstalled or its token deactivated: reinstall it',
  ratelimited: 'Slack rate-limited the bot and the retries ran out',
};

/** Slack's error code (`not_in_channel`, `msg_too_long`…) from a failed Web API call. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/**
 * A failed Slack call as log fields. Only the code and message: a Web client error can carry the HTTP
 * request it failed on, bot token included.
 */
export function failureFields(error: unknown): { slackError: string; hint?: string } {
  const code = slackErrorCode(error);
  const hint = code ? HINTS[code] : undefined;
  const slackError = code ?? (error instanceof Error ? error.message : String(error));
  return hint ? { slackError, hint } : { slackError };
}

const TOKEN_REFUSALS = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'account_inactive']);

/** Why Slack would not take one of the bot's tokens, as one line naming the setting to fix; undefined for other failures. */
export function tokenRefusal(error: unknown, setting: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN'): string | undefined {
  const code = slackErrorCode(error);
  return code && TOKEN_REFUSALS.has(code) ? `Slack refused ${setting} (${code}): copy it again from the app's settings and set ${setting}` : undefined;
}
