import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type ButtonInteraction } from 'discord.js';
import type { ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { acknowledgeAnswer } from './question-answers.js';

const PREFIX = 'confirm';

/** Approve and Deny for one question; the custom ids carry the question's id, so any instance can read them. */
export function confirmationButtons(id: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`${PREFIX}:approve:${id}`).setLabel('Approve').setStyle(ButtonStyle.Success),
    new ButtonBuilder().setCustomId(`${PREFIX}:deny:${id}`).setLabel('Deny').setStyle(ButtonStyle.Danger),
  );
}

export function isConfirmationButton(interaction: ButtonInteraction): boolean {
  return interaction.customId.startsWith(`${PREFIX}:`);
}

export async function onConfirmationButton(interaction: ButtonInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, choice, id = ''] = interaction.customId.split(':');
  const result = await engine.decideConfirmation(id, interaction.user.id, choice === 'approve');
  log.info({ confirmation: id, user: interaction.user.id, choice, result: result.kind }, 'confirmation button pressed');
  await acknowledgeAnswer(interaction, result);
}
