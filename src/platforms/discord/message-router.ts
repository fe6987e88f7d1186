import { ChannelType, Routes, type AnyThreadChannel, type APIThreadChannel, type Message } from 'discord.js';
import type { ConversationMemory } from './conversation-memory.js';
import { mentionsBot } from './mentions.js';

/**
 * Where a message for the bot is answered, and under which conversation. `channelId` is where it was
 * asked, a thread counting as its parent channel (what access lists name).
 * - `thread`: in the thread it was said in; `forumPost` is set in a forum post, which the bot joins.
 * - `reply`: a Discord reply to one of the bot's messages outside a thread, answered as a reply to it.
 */
export type Route = { channelId: string } & (
  | { kind: 'dm'; threadKey: string }
  | { kind: 'thread'; threadKey: string; forumPost?: string }
  | { kind: 'reply'; threadKey: string }
  | { kind: 'new-thread'; guildId: string }
);

export const dmThreadKey = (channelId: string) => `discord:dm:${channelId}`;
export const guildThreadKey = (guildId: string, channelId: string, threadId: string) => `discord:${guildId}:${channelId}:${threadId}`;

/** Forum and media channels hold posts: threads people start, where the bot may be called in. */
const POST_CHANNELS = new Set<ChannelType>([ChannelType.GuildForum, ChannelType.GuildMedia]);

/** A Discord reply to one of the bot's messages, with or without a ping; the id of that message. */
function repliedBotMessage(message: Message, botId: string): string | undefined {
  return message.mentions.repliedUser?.id === botId ? message.reference?.messageId : undefined;
}

/** What deciding about a message found: where it goes, or undefined when it is not for the bot; a promise when that took a lookup. */
export type RouteDecision = Route | undefined | Promise<Route | undefined>;

/**
 * Is this message for the bot, and where does the answer go? DMs always; in a guild, a mention (a new
 * thread, or the thread it was made in), anything said in a thread the bot started or a forum post it
 * was asked in, and a reply to one of its messages (that message's conversation).
 *
 * Decided at once from what discord.js has cached wherever it can, so the message can take its place
 * in its thread's line as it arrives; a lookup only where the cache cannot tell: a thread discord.js
 * was not told about, an unmentioned message in a forum post, a reply to one of the bot's messages
 * outside a thread (which conversation it belongs to is in the store).
 */
export function routeMessage(message: Message, botId: string, memory: ConversationMemory): RouteDecision {
  if (message.author.id === botId || message.author.bot || message.webhookId || message.system) return undefined;
  if (!message.content.trim() && message.attachments.size === 0) return undefined;
  if (!message.inGuild()) return { kind: 'dm', threadKey: dmThreadKey(message.channelId), channelId: message.channelId };

  const mentioned = mentionsBot(message, botId);
  const repliedTo = repliedBotMessage(message, botId);
  const channel = message.channel;
  if (channel.isThread()) {
    const called = mentioned || repliedTo !== undefined;
    const facts = cachedThreadFacts(channel, called);
    return facts ? threadRoute(message.guildId, channel.id, facts, botId, called, memory) : fetchThreadFacts(channel).then((fetched) => threadRoute(message.guildId, channel.id, fetched, botId, called, memory));
  }
  const newThread = mentioned ? ({ kind: 'new-thread', guildId: message.guildId, channelId: message.channelId } as const) : undefined;
  if (!repliedTo) return newThread;
  return memory.conversationOfAnswer(repliedTo).then((answered) => (answered ? { kind: 'reply', threadKey: answered, channelId: message.channelId } : newThread));
}

/** Who owns a thread (from Discord, so threads the bot started stay its own across restarts), its channel, and whether it is a forum post. */
interface ThreadFacts {
  ownerId: string | null | undefined;
  parentId: string | null | undefined;
  forumPost: boolean;
}

/**
 * The facts from discord.js's cache, when it has the thread's channel and, unless the bot was called
 * (mentioned, replied to) and the owner does not matter, its owner: both come with the thread at
 * start-up or in THREAD_CREATE; a thread first seen in a message gets its channel from a later
 * THREAD_UPDATE but never its owner.
 */
function cachedThreadFacts(thread: AnyThreadChannel, called: boolean): ThreadFacts | undefined {
  const parent = thread.parentId ? thread.client.channels.cache.get(thread.parentId) : undefined;
  if (!parent || (!thread.ownerId && !called)) return undefined;
  return { ownerId: thread.ownerId, parentId: parent.id, forumPost: POST_CHANNELS.has(parent.type) };
}

function threadRoute(guildId: string, threadId: string, facts: ThreadFacts, botId: string, called: boolean, memory: ConversationMemory): RouteDecision {
  const channelId = facts.parentId ?? threadId;
  const route: Route = { kind: 'thread', threadKey: guildThreadKey(guildId, channelId, threadId), channelId, ...(facts.forumPost ? { forumPost: threadId } : {}) };
  if (facts.ownerId === botId || called) return route;
  if (!facts.forumPost) return undefined;
  return memory.inPost(threadId).then((joined) => (joined ? route : undefined));
}

/**
 * A thread discord.js was never told about (not active at start-up, no THREAD_CREATE or THREAD_UPDATE
 * since) reaches us without owner or parent; Discord still knows both.
 */
async function fetchThreadFacts(thread: AnyThreadChannel): Promise<ThreadFacts> {
  const data = thread.ownerId ? { owner_id: thread.ownerId, parent_id: thread.parentId } : ((await thread.client.rest.get(Routes.channel(thread.id))) as APIThreadChannel);
  return { ownerId: data.owner_id, parentId: data.parent_id, forumPost: await isForumPost(thread, data.parent_id) };
}

async function isForumPost(thread: AnyThreadChannel, parentId: string | null | undefined): Promise<boolean> {
  if (!parentId) return false;
  const parent = thread.client.channels.cache.get(parentId) ?? (await thread.client.channels.fetch(parentId));
  return parent !== null && POST_CHANNELS.has(parent.type);
}
