import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction } from 'discord.js';
import { goneQuestionText, NOT_YOUR_QUESTION_TEXT, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';

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

/**
 * A press, answered within Discord's 3 seconds: a decision is acknowledged and the waiting turn edits
 * the question; anyone else is told privately; a question nothing waits for loses its buttons.
 */
export async function onConfirmationButton(interaction: ButtonInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, choice, id = ''] = interaction.customId.split(':');
  const result = await engine.decideConfirmation(id, interaction.user.id, choice === 'approve');
  log.info({ confirmation: id, user: interaction.user.id, choice, result: result.kind }, 'confirmation button pressed');
  if (result.kind === 'answered') await interaction.deferUpdate();
  else if (result.kind === 'not-yours') await interaction.reply({ content: NOT_YOUR_QUESTION_TEXT, flags: MessageFlags.Ephemeral });
  else if (result.kind === 'invalid') await interaction.reply({ content: result.message, flags: MessageFlags.Ephemeral });
  else await interaction.update({ content: goneQuestionText(result), components: [], allowedMentions: { parse: [] } });
}
