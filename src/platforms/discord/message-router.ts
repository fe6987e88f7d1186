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

/**
 * Is this message for the bot, and where does the answer go? DMs always; in a guild, a mention (a new
 * thread, or the thread it was made in), anything said in a thread the bot started or a forum post it
 * was asked in, and a reply to one of its messages (that message's conversation).
 */
export async function routeMessage(message: Message, botId: string, memory: ConversationMemory): Promise<Route | undefined> {
  if (message.author.id === botId || message.author.bot || message.webhookId || message.system) return undefined;
  if (!message.content.trim() && message.attachments.size === 0) return undefined;
  if (!message.inGuild()) return { kind: 'dm', threadKey: dmThreadKey(message.channelId), channelId: message.channelId };

  const mentioned = mentionsBot(message, botId);
  const repliedTo = repliedBotMessage(message, botId);
  const channel = message.channel;
  if (channel.isThread()) {
    // Who owns the thread comes from Discord, so threads the bot started stay its own across restarts.
    const { ownerId, parentId } = await threadFacts(channel);
    const forumPost = (await isForumPost(channel, parentId)) ? channel.id : undefined;
    const forBot = ownerId === botId || mentioned || repliedTo !== undefined || (forumPost !== undefined && (await memory.inPost(forumPost)));
    if (!forBot) return undefined;
    const channelId = parentId ?? channel.id;
    return { kind: 'thread', threadKey: guildThreadKey(message.guildId, channelId, channel.id), channelId, ...(forumPost ? { forumPost } : {}) };
  }
  const answered = repliedTo && (await memory.conversationOfAnswer(repliedTo));
  if (answered) return { kind: 'reply', threadKey: answered, channelId: message.channelId };
  return mentioned ? { kind: 'new-thread', guildId: message.guildId, channelId: message.channelId } : undefined;
}

/**
 * A thread discord.js was never told about (not active at start-up, no THREAD_CREATE or THREAD_UPDATE
 * since) reaches us without owner or parent; Discord still knows both.
 */
async function threadFacts(thread: AnyThreadChannel): Promise<{ ownerId: string | null | undefined; parentId: string | null | undefined }> {
  if (thread.ownerId) return { ownerId: thread.ownerId, parentId: thread.parentId };
  const data = (await thread.client.rest.get(Routes.channel(thread.id))) as APIThreadChannel;
  return { ownerId: data.owner_id, parentId: data.parent_id };
}

async function isForumPost(thread: AnyThreadChannel, parentId: string | null | undefined): Promise<boolean> {
  if (!parentId) return false;
  const parent = thread.client.channels.cache.get(parentId) ?? (await thread.client.channels.fetch(parentId));
  return parent !== null && POST_CHANNELS.has(parent.type);
}
