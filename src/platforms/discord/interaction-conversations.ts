import { InteractionContextType, type ChatInputCommandInteraction, type ModalSubmitInteraction } from 'discord.js';
import type { Asker } from '../../access/index.js';
import { interactionPostLimit } from './message-surface.js';
import { dmThreadKey, guildThreadKey } from './message-router.js';
import type { DiscordTurn } from './turn-job.js';

/** The DM between the person and the bot; Discord's `context` says so, and without it (older payloads) a DM is anything outside a guild. */
/** A command, or a form submitted in a channel (a modal's `channelId` is only null outside one). */
export type ChannelInteraction = ChatInputCommandInteraction | (ModalSubmitInteraction & { channelId: string });

function inBotDm(interaction: ChannelInteraction): boolean {
  return interaction.context === null ? !interaction.inGuild() : interaction.context === InteractionContextType.BotDM;
}

/** The conversation `/reset` refers to: the DM with the bot or the thread it is run in; undefined anywhere else. */
export function conversationHere(interaction: ChatInputCommandInteraction): string | undefined {
  if (inBotDm(interaction)) return dmThreadKey(interaction.channelId);
  const channel = interaction.channel;
  if (interaction.inGuild() && channel?.isThread()) return guildThreadKey(interaction.guildId, channel.parentId ?? channel.id, channel.id);
  return undefined;
}

/**
 * The conversation an `/ask` (or a `/prompt`'s form) continues: the DM with the bot, so asking there is like writing there;
 * anywhere else a conversation of its own, keyed by the interaction (a Discord reply to its answer
 * continues it where the bot can read the channel). A private channel (another person's DM, a group
 * DM) gets the DM prefix, with the channel and the interaction.
 */
export function askConversation(interaction: ChannelInteraction): string {
  if (inBotDm(interaction)) return dmThreadKey(interaction.channelId);
  if (interaction.guildId) return guildThreadKey(interaction.guildId, interaction.channelId, interaction.id);
  return `${dmThreadKey(interaction.channelId)}:${interaction.id}`;
}

/**
 * A deferred `/ask` or `/prompt` as a turn job's data: answered through the interaction's webhook, so
 * any process can post it; `question` is the text asked, or the prompt to fill in when the turn runs.
 */
export function interactionTurn(interaction: ChannelInteraction, asker: Asker, question: Pick<DiscordTurn, 'text' | 'prompt'>): DiscordTurn {
  return {
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    messageId: interaction.id,
    asker,
    authorName: interaction.inCachedGuild() ? interaction.member.displayName : interaction.user.displayName,
    files: [],
    ...question,
    answer: { kind: 'interaction', applicationId: interaction.applicationId, token: interaction.token, maxPosts: interactionPostLimit(interaction.authorizingIntegrationOwners[0] !== undefined) },
  };
}
