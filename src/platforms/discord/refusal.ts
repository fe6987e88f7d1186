import type { Message } from 'discord.js';
import type { Logger } from '../../logging/logger.js';
import { hintFor } from './discord-failures.js';

const REFUSED_REACTION = '🚫';

/**
 * Discord has no private reply to a message, so a refused person is told in their DM with the bot;
 * when their DMs are closed (50007), a reaction on their message still says no without a word in the channel.
 */
export async function tellRefused(message: Message, notice: string, log: Logger): Promise<void> {
  try {
    await message.author.send({ content: notice, allowedMentions: { parse: [] } });
  } catch (error) {
    log.warn({ err: error, hint: hintFor(error) }, 'access notice could not be sent by DM; reacting instead');
    await message.react(REFUSED_REACTION).catch((reactionError: unknown) => log.warn({ err: reactionError, hint: hintFor(reactionError) }, 'access notice reaction failed'));
  }
}
