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
}

export interface Conversation {
  threadKey: string;
  channel: string;
  /** Where the answer goes; absent for a top-level DM. */
  threadTs: string | undefined;
  /** A channel thread: remembered so later messages in it need no mention. */
  inChannel: boolean;
}

/** Plain messages and file shares are conversation; edits, deletes, joins and the like are not. */
const CONVERSATIONAL_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

export const threadMarkerKey = (teamId: string, channel: string, threadTs: string) => `slack-thread:${teamId}:${channel}:${threadTs}`;

/**
 * Is this event for the bot, and which conversation is it? DMs always; in channels a mention, or
 * any message in a thread the bot already answered in (`botInThread`).
 */
export function routeEvent(event: SlackMessageEvent, context: { teamId: string; botUserId: string; botInThread: boolean }): Conversation | undefined {
  if (event.bot_id || !event.user || event.user === context.botUserId) return undefined;
  if (!CONVERSATIONAL_SUBTYPES.has(event.subtype)) return undefined;
  if (!event.text?.trim()) return undefined;
  const { teamId } = context;

  if (event.channel_type === 'im') {
    if (event.thread_ts) return { threadKey: `slack:${teamId}:${event.channel}:${event.thread_ts}`, channel: event.channel, threadTs: event.thread_ts, inChannel: false };
    return { threadKey: `slack:${teamId}:${event.channel}`, channel: event.channel, threadTs: undefined, inChannel: false };
  }
  const threadTs = event.thread_ts ?? event.ts;
  const conversation = { threadKey: `slack:${teamId}:${event.channel}:${threadTs}`, channel: event.channel, threadTs, inChannel: true };
  if (event.type === 'app_mention') return conversation;
  return event.thread_ts && context.botInThread ? conversation : undefined;
}
