import type { App, Middleware, SlackCommandMiddlewareArgs, SlashCommand } from '@slack/bolt';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, connectResultText, disconnectText, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { runReloadCommand, type ServersReload } from '../../reload/index.js';
import { dmThreadKey } from './message-router.js';
import { escapeMrkdwn, toMrkdwn } from './mrkdwn.js';
import { toolListMessages } from './tool-blocks.js';

/** A Slack user id is a person within one workspace (or one Enterprise Grid org, where ids are org-wide). */
export function slackPersonId(teamId: string, userId: string): string {
  return `slack:${teamId}:${userId}`;
}

/** Who ran a slash command, and where: a DM channel's id starts with D. */
export const commandAsker = (command: Pick<SlashCommand, 'user_id' | 'channel_id' | 'team_id'>): Asker => ({
  userId: command.user_id,
  personId: slackPersonId(command.team_id, command.user_id),
  roleIds: [],
  channelId: command.channel_id,
  direct: command.channel_id.startsWith('D'),
});

/**
 * `/tools [server]`, `/connect [server]`, `/disconnect [server]`, `/reset` and `/reload`, answered only
 * to the person who asked. Each acknowledges first: Slack shows an error when a command is not
 * acknowledged within 3 seconds.
 */
export function registerSlashCommands(app: App, engine: ConversationEngine, log: Logger, reload: ServersReload | undefined): void {
  // Runs before each command's own listener; someone the bot does not admit hears so, privately.
  const admitted: Middleware<SlackCommandMiddlewareArgs> = async ({ command, ack, respond, next }) => {
    if (engine.admits(commandAsker(command))) return next();
    await ack();
    await respond({ response_type: 'ephemeral', text: ACCESS_DENIED_MESSAGE });
  };

  app.command('/tools', admitted, async ({ command, ack, respond }) => {
    await ack();
    const asker = commandAsker(command);
    const server = command.text.trim() || undefined;
    const servers = await engine.listTools(asker, server);
    if (servers.length === 0) {
      const known = engine.serverNames(asker).map((name) => `\`${escapeMrkdwn(name)}\``);
      const text = !server ? 'No MCP servers are configured.' : `No MCP server is named \`${escapeMrkdwn(server)}\`.${known.length ? ` Servers: ${known.join(', ')}.` : ''}`;
      await respond({ response_type: 'ephemeral', text });
      return;
    }
    for (const [index, blocks] of toolListMessages(servers).entries()) {
      await respond({ response_type: 'ephemeral', text: index === 0 ? 'Tools I can use' : 'Tools I can use (continued)', blocks });
    }
  });

  // A per-person server's account: a link only the asker sees, or forgetting their tokens. Without a
  // server name, both list the servers that take the asker's own account.
  app.command('/connect', admitted, async ({ command, ack, respond }) => {
    await ack();
    const asker = commandAsker(command);
    const server = command.text.trim();
    const text = await accountAnswer(log, { command: '/connect', server, person: asker.personId }, async () => connectResultText(await engine.connectAccount(asker, server), server));
    await respond({ response_type: 'ephemeral', text });
  });

  app.command('/disconnect', admitted, async ({ command, ack, respond }) => {
    await ack();
    const asker = commandAsker(command);
    const server = command.text.trim();
    const text = await accountAnswer(log, { command: '/disconnect', server, person: asker.personId }, async () => disconnectText(await engine.disconnectAccount(asker, server), server, engine.personalServers(asker)));
    await respond({ response_type: 'ephemeral', text });
  });

  // Slash commands carry no thread, so only a DM (one conversation) says which history to forget.
  app.command('/reset', admitted, async ({ command, ack, respond }) => {
    await ack();
    if (!command.channel_id.startsWith('D')) {
      await respond({ response_type: 'ephemeral', text: 'Use /reset in a DM with me. In a channel, mention me in a new message to start a fresh thread.' });
      return;
    }
    const threadKey = dmThreadKey(command.team_id, command.channel_id);
    try {
      await engine.reset(threadKey);
    } catch (error) {
      log.error({ threadKey, err: error }, '/reset could not delete the history');
      await respond({ response_type: 'ephemeral', text: "I can't reach my conversation store right now, so nothing was forgotten. Please try again shortly." });
      return;
    }
    await respond({ response_type: 'ephemeral', text: 'Done: I have forgotten our DM conversation.' });
  });

  // For the admins in ADMIN_USERS, whether or not ALLOWED_* admits them; the answer comes once the new servers are up.
  app.command('/reload', async ({ command, ack, respond }) => {
    await ack();
    await respond({ response_type: 'ephemeral', text: await runReloadCommand(reload, commandAsker(command), `slack:${command.user_id}`) });
  });
}

const ACCOUNT_STORE_FAILED_TEXT = "I can't reach my store right now, so nothing about your account changed. Please try again shortly.";

/** What `/connect` or `/disconnect` says, as mrkdwn; the store failing on the way is logged and said plainly. */
async function accountAnswer(log: Logger, about: { command: string; server: string; person: string }, markdown: () => Promise<string>): Promise<string> {
  try {
    return toMrkdwn(await markdown());
  } catch (error) {
    log.error({ ...about, err: error }, `${about.command} failed`);
    return ACCOUNT_STORE_FAILED_TEXT;
  }
}
