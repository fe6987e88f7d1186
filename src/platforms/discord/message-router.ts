import type { Message } from 'discord.js';

/** Where a message for the bot is answered, and under which conversation. */
export type Route = { kind: 'dm'; threadKey: string } | { kind: 'thread'; threadKey: string } | { kind: 'new-thread' };

export const dmThreadKey = (channelId: string) => `discord:dm:${channelId}`;
export const guildThreadKey = (guildId: string, channelId: string, threadId: string) => `discord:${guildId}:${channelId}:${threadId}`;

/**
 * Is this message for the bot, and where does the answer go? DMs always; in a guild, a mention
 * (a new thread, or the thread it was made in) and anything said in a thread the bot started.
 */
export function routeMessage(message: Message, botId: string): Route | undefined {
  if (message.author.id === botId || message.author.bot || message.webhookId || message.system) return undefined;
  if (!message.content.trim()) return undefined;
  if (!message.inGuild()) return { kind: 'dm', threadKey: dmThreadKey(message.channelId) };

  const mentioned = message.mentions.users.has(botId);
  const channel = message.channel;
  if (channel.isThread()) {
    // The thread's owner survives restarts, unlike any memory of which threads we started.
    if (channel.ownerId !== botId && !mentioned) return undefined;
    return { kind: 'thread', threadKey: guildThreadKey(message.guildId, channel.parentId ?? channel.id, channel.id) };
  }
  return mentioned ? { kind: 'new-thread' } : undefined;
}
