import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import { goneQuestionText, NOT_YOUR_QUESTION_TEXT, type AnswerResult, type ConversationEngine, type ElicitationRequest, type FormField } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';

const PREFIX = 'elicit';
// Discord's limits: 5 inputs per modal; 45 characters for titles and labels, 100 for placeholders.
const INPUTS_PER_MODAL = 5;
const LABEL_LENGTH = 45;
const PLACEHOLDER_LENGTH = 100;

const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

/** "Answer…" opens the form; "Decline" says no. The custom ids carry the question's id. */
export function elicitationButtons(id: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder().setCustomId(`${PREFIX}:open:${id}`).setLabel('Answer…').setStyle(ButtonStyle.Primary),
    new ButtonBuilder().setCustomId(`${PREFIX}:decline:${id}`).setLabel('Decline').setStyle(ButtonStyle.Secondary),
  );
}

export function isElicitationInteraction(customId: string): boolean {
  return customId.startsWith(`${PREFIX}:`);
}

function hint(field: FormField): string {
  if (field.kind === 'boolean') return 'yes or no';
  if (field.options?.length) return `${field.kind === 'choices' ? 'any of, comma-separated' : 'one of'}: ${field.options.map((option) => option.label).join(', ')}`;
  return field.description ?? field.kind;
}

/** One text input per field (Discord modals hold nothing else), pre-filled with the server's defaults. */
function modalFor(request: ElicitationRequest): ModalBuilder {
  const inputs = request.fields.slice(0, INPUTS_PER_MODAL).map((field) => {
    const input = new TextInputBuilder()
      .setCustomId(field.name)
      .setLabel(clip(field.title, LABEL_LENGTH))
      .setStyle(TextInputStyle.Short)
      .setRequired(field.required && field.default === undefined)
      .setPlaceholder(clip(hint(field), PLACEHOLDER_LENGTH));
    if (field.default !== undefined) input.setValue(Array.isArray(field.default) ? field.default.join(', ') : typeof field.default === 'boolean' ? (field.default ? 'yes' : 'no') : String(field.default));
    return new ActionRowBuilder<TextInputBuilder>().addComponents(input);
  });
  return new ModalBuilder().setCustomId(`${PREFIX}:submit:${request.id}`).setTitle(clip(`Answer ${request.server}`, LABEL_LENGTH)).addComponents(inputs);
}

async function answerPrivately(interaction: ButtonInteraction | ModalSubmitInteraction, content: string): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

/** What a press or a submitted form came to, answered within Discord's 3 seconds. */
async function settle(interaction: ButtonInteraction | ModalSubmitInteraction, result: AnswerResult): Promise<void> {
  if (result.kind === 'answered') {
    // The waiting turn edits the message; here the interaction is only acknowledged.
    if (interaction.isButton() || interaction.isFromMessage()) await interaction.deferUpdate();
    return;
  }
  if (result.kind === 'not-yours') return answerPrivately(interaction, NOT_YOUR_QUESTION_TEXT);
  if (result.kind === 'invalid') return answerPrivately(interaction, `${result.message} Press Answer… to try again.`);
  return answerPrivately(interaction, goneQuestionText(result));
}

export async function onElicitationButton(interaction: ButtonInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, action, id = ''] = interaction.customId.split(':');
  log.info({ question: id, user: interaction.user.id, action }, 'elicitation button pressed');
  if (action === 'decline') return settle(interaction, await engine.answerElicitation(id, interaction.user.id, { action: 'decline' }));
  const request = engine.waitingElicitation(id);
  if (!request) return answerPrivately(interaction, goneQuestionText({ kind: 'gone', restarted: false }));
  if (request.askerId !== interaction.user.id) return answerPrivately(interaction, NOT_YOUR_QUESTION_TEXT);
  await interaction.showModal(modalFor(request));
}

export async function onElicitationSubmit(interaction: ModalSubmitInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, , id = ''] = interaction.customId.split(':');
  const fields = engine.waitingElicitation(id)?.fields ?? [];
  const values = Object.fromEntries(fields.slice(0, INPUTS_PER_MODAL).map((field) => [field.name, interaction.fields.getTextInputValue(field.name)]));
  log.info({ question: id, user: interaction.user.id }, 'elicitation form submitted');
  await settle(interaction, await engine.answerElicitation(id, interaction.user.id, { action: 'accept', values }));
}
