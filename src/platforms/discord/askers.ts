import type { APIInteractionGuildMember, GuildMember, Interaction, Message } from 'discord.js';
import type { Asker } from '../../access/index.js';
import type { Route } from './message-router.js';

/** Role ids from a cached member, or from the raw member Discord sends with an interaction in an uncached guild. */
function roleIdsOf(member: GuildMember | APIInteractionGuildMember | null | undefined): string[] {
  if (!member) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

/** A Discord user is one person in every guild and DM (user ids are global). */
export function discordPersonId(userId: string): string {
  return `discord:${userId}`;
}

export function messageAsker(message: Message, route: Route): Asker {
  return { userId: message.author.id, personId: discordPersonId(message.author.id), roleIds: roleIdsOf(message.member), channelId: route.channelId, direct: !message.inGuild() };
}

/** A thread counts as its parent channel, as for messages. */
export function interactionAsker(interaction: Interaction): Asker {
  const channel = interaction.channel;
  const channelId = channel?.isThread() ? (channel.parentId ?? channel.id) : (interaction.channelId ?? '');
  return { userId: interaction.user.id, personId: discordPersonId(interaction.user.id), roleIds: roleIdsOf(interaction.member), channelId, direct: !interaction.inGuild() };
}
