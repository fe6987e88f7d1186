import { Routes, type APIDMChannel, type REST } from 'discord.js';

/**
 * Sends `content` to the user in their DM with the bot, through REST alone, so any process can (the
 * DM channel is opened, or found, first). Rejects with discord.js's DiscordAPIError when Discord
 * refuses: 50007 when the person takes no DMs from the bot.
 */
export async function sendDirectMessage(rest: REST, userId: string, content: string): Promise<void> {
  const channel = (await rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as APIDMChannel;
  await rest.post(Routes.channelMessages(channel.id), { body: { content, allowed_mentions: { parse: [] } } });
}
