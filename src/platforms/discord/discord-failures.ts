import { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, GatewayCloseCodes } from 'discord.js';

/** What an operator can do about the Discord errors a bot meets in normal use. */
const HINTS: Record<number, string> = {
  10003: 'the channel or thread no longer exists',
  10008: 'the message no longer exists (deleted by someone?)',
  40005: 'the file is larger than Discord accepts',
  50001: 'the bot cannot see this channel: grant it View Channels there',
  50007: 'the person takes no DMs from the bot (their privacy settings, or they share no server with it)',
  50013: 'the bot lacks a permission here: Send Messages, Send Messages in Threads, Create Public Threads or Attach Files',
  160004: 'the message already has a thread',
};

/** A hint for the log line of a failed Discord call, when the failure is a known one. */
export function hintFor(error: unknown): string | undefined {
  return error instanceof DiscordAPIError && typeof error.code === 'number' ? HINTS[error.code] : undefined;
}

/**
 * Why Discord would not let the bot log in, as one line an operator can act on; undefined for
 * anything that is not about the token or the intents (a network failure, say).
 */
export function loginRefusal(error: unknown, closeCode: number | undefined): string | undefined {
  if (closeCode === GatewayCloseCodes.DisallowedIntents) {
    return 'Discord refused the Message Content intent: in the developer portal, under Bot → Privileged Gateway Intents, turn on Message Content Intent';
  }
  if (closeCode === GatewayCloseCodes.AuthenticationFailed || (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid)) {
    return 'Discord refused DISCORD_TOKEN: copy the bot token again (developer portal → Bot → Reset Token) and set DISCORD_TOKEN';
  }
  return undefined;
}
