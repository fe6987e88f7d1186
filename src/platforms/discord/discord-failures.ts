import { DiscordAPIError } from 'discord.js';

/** What an operator can do about the Discord errors a bot meets in normal use. */
const HINTS: Record<number, string> = {
  10003: 'the channel or thread no longer exists',
  10008: 'the message no longer exists (deleted by someone?)',
  40005: 'the file is larger than Discord accepts',
  50001: 'the bot cannot see this channel: grant it View Channels there',
  50013: 'the bot lacks a permission here: Send Messages, Send Messages in Threads, Create Public Threads or Attach Files',
  160004: 'the message already has a thread',
};

/** A hint for the log line of a failed Discord call, when the failure is a known one. */
export function hintFor(error: unknown): string | undefined {
  return error instanceof DiscordAPIError && typeof error.code === 'number' ? HINTS[error.code] : undefined;
}
