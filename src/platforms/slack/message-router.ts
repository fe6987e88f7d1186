import type { SlackFile } from './incoming-files.js';

/** The fields of a Slack `message` or `app_mention` event the bot acts on. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  /** A `file_share` message's files. */
  files?: SlackFile[];
}

/** The event's fields the bot acts on and nothing else (Slack sends blocks, edits, and more), as a turn job carries it. */
export function jobEvent(event: SlackMessageEvent): SlackMessageEvent {
  const { type, subtype, channel, channel_type, user, bot_id, text, ts, thread_ts, files } = event;
  return { type, subtype, channel, channel_type, user, bot_id, text, ts, thread_ts, files };
}

/** Where an answer goes: a thread, or (`threadTs` absent) the top level of a DM. */
export type Conversation =
  | { kind: 'dm'; threadKey: string; channel: string; threadTs: string | undefined }
  | { kind: 'channel-thread'; threadKey: string; channel: string; threadTs: string };

export type ChannelThread = Extract<Conversation, { kind: 'channel-thread' }>;

/**
 * `onlyIfBotInThread`: a channel thread reply without a mention is for the bot only when the bot
 * already takes part in that thread, which the caller knows (see `threadMarkerKey`).
 */
export type Route = { conversation: Conversation; onlyIfBotInThread: false } | { conversation: ChannelThread; onlyIfBotInThread: true };

/** Plain messages, file shares and thread replies also sent to the channel are conversation; edits, deletes, joins are not. */
const CONVERSATIONAL_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

export const dmThreadKey = (teamId: string, channel: string) => `slack:${teamId}:${channel}`;
export const threadKey = (teamId: string, channel: string, threadTs: string) => `slack:${teamId}:${channel}:${threadTs}`;

/** Remembers, for the history's lifetime, that the bot takes part in a channel thread. */
export const threadMarkerKey = (teamId: string, channel: string, threadTs: string) => `slack-thread:${teamId}:${channel}:${threadTs}`;

/** One claim per message: Slack's redeliveries and the app_mention + message pair share channel and ts. */
export const messageClaimKey = (teamId: string, event: SlackMessageEvent) => `slack-message:${teamId}:${event.channel}:${event.ts}`;

/**
 * Is this event possibly for the bot, and which conversation is it? DMs always (the DM is one
 * conversation, each thread in it another); in channels a mention, answered in a thread under the
 * message, or any message in a thread the bot takes part in.
 */
export function routeEvent(event: SlackMessageEvent, context: { teamId: string; botUserId: string }): Route | undefined {
  if (event.bot_id || !event.user || event.user === context.botUserId) return undefined;
  if (!CONVERSATIONAL_SUBTYPES.has(event.subtype)) return undefined;
  if (!event.text?.trim() && !event.files?.length) return undefined;
  const { teamId } = context;

  if (event.channel_type === 'im' || event.channel.startsWith('D')) {
    const key = event.thread_ts ? threadKey(teamId, event.channel, event.thread_ts) : dmThreadKey(teamId, event.channel);
    return { conversation: { kind: 'dm', threadKey: key, channel: event.channel, threadTs: event.thread_ts }, onlyIfBotInThread: false };
  }
  const threadTs = event.thread_ts ?? event.ts;
  const conversation: ChannelThread = { kind: 'channel-thread', threadKey: threadKey(teamId, event.channel, threadTs), channel: event.channel, threadTs };
  if (event.type === 'app_mention') return { conversation, onlyIfBotInThread: false };
  // A top-level channel message is for the bot only when it mentions the bot, and then its app_mention copy is the one answered.
  return event.thread_ts ? { conversation, onlyIfBotInThread: true } : undefined;
}
