import { cleanContent, type Message } from 'discord.js';

/** The question as a person would read it: the bot's own mention dropped, other mentions as names. */
export function messageText(message: Message, botId: string): string {
  const withoutBot = message.content.replace(new RegExp(`<@!?${botId}>`, 'g'), ' ').trim();
  return cleanContent(withoutBot, message.channel).replace(/\s+\n/g, '\n').trim();
}

const THREAD_NAME_LIMIT = 100;

/** A thread title from the first words of the question, within Discord's 100 characters. */
export function threadName(text: string, fallback: string): string {
  const words = text.replace(/\s+/g, ' ').trim();
  if (!words) return fallback.slice(0, THREAD_NAME_LIMIT);
  if (words.length <= THREAD_NAME_LIMIT) return words;
  const cut = words.slice(0, THREAD_NAME_LIMIT - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${lastSpace > THREAD_NAME_LIMIT / 2 ? cut.slice(0, lastSpace) : cut}…`;
}
