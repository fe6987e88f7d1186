import { Routes, type AnyThreadChannel, type APIThreadChannel, type Message } from 'discord.js';
import { mentionsBot } from './mentions.js';

/**
 * Where a message for the bot is answered, and under which conversation. `channelId` is where it was
 * asked, a thread counting as its parent channel (what access lists name).
 */
export type Route = { channelId: string } & ({ kind: 'dm'; threadKey: string } | { kind: 'thread'; threadKey: string } | { kind: 'new-thread'; guildId: string });

export const dmThreadKey = (channelId: string) => `discord:dm:${channelId}`;
export const guildThreadKey = (guildId: string, channelId: string, threadId: string) => `discord:${guildId}:${channelId}:${threadId}`;

/**
 * Is this message for the bot, and where does the answer go? DMs always; in a guild, a mention
 * (a new thread, or the thread it was made in) and anything said in a thread the bot started.
 */
export async function routeMessage(message: Message, botId: string): Promise<Route | undefined> {
  if (message.author.id === botId || message.author.bot || message.webhookId || message.system) return undefined;
  if (!message.content.trim()) return undefined;
  if (!message.inGuild()) return { kind: 'dm', threadKey: dmThreadKey(message.channelId), channelId: message.channelId };

  const mentioned = mentionsBot(message, botId);
  const channel = message.channel;
  if (channel.isThread()) {
    // Who owns the thread comes from Discord, so threads the bot started stay its own across restarts.
    const { ownerId, parentId } = await threadFacts(channel);
    if (ownerId !== botId && !mentioned) return undefined;
    return { kind: 'thread', threadKey: guildThreadKey(message.guildId, parentId ?? channel.id, channel.id), channelId: parentId ?? channel.id };
  }
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
