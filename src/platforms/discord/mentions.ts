import { cleanContent, type Message } from 'discord.js';

/** The bot's managed role: Discord's mention autocomplete offers it next to the bot user, and people pick either. */
function botRoleIds(message: Message, botId: string): string[] {
  return message.mentions.roles.filter((role) => role.tags?.botId === botId).map((role) => role.id);
}

export function mentionsBot(message: Message, botId: string): boolean {
  return message.mentions.users.has(botId) || botRoleIds(message, botId).length > 0;
}

/** The question as a person would read it: the bot's own mentions dropped, other mentions as names. */
export function questionText(message: Message, botId: string): string {
  const ownMentions = [`<@!?${botId}>`, ...botRoleIds(message, botId).map((id) => `<@&${id}>`)];
  const withoutBot = message.content.replace(new RegExp(ownMentions.join('|'), 'g'), ' ').trim();
  return cleanContent(withoutBot, message.channel).replace(/[ \t]+\n/g, '\n').trim();
}
