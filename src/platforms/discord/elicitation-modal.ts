import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import { NOT_YOUR_QUESTION_TEXT, type ConversationEngine, type ElicitationAnswer, type ElicitationRequest, type FormField } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { acknowledgeAnswer, answerPrivately } from './question-answers.js';

const PREFIX = 'elicit';
// Discord's limits: 5 components per modal, 25 options per select; 45 characters for titles and labels, 100 for descriptions, placeholders and option labels.
const INPUTS_PER_MODAL = 5;
const OPTIONS_PER_SELECT = 25;
const LABEL_LENGTH = 45;
const TEXT_LENGTH = 100;
const YES_NO = [
  { value: 'yes', label: 'Yes' },
  { value: 'no', label: 'No' },
];

const PLACEHOLDERS: Partial<Record<FormField['kind'], string>> = { number: 'a number', integer: 'a whole number' };

const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

/**
 * "Answer…" opens the form; "Decline" says no. A page to open (URL mode) gets "Open page…", which
 * hands the link to the asker alone, and "Done" in place of the form. The custom ids carry the
 * question's id.
 */
export function elicitationButtons(request: Pick<ElicitationRequest, 'id' | 'url'>): ActionRowBuilder<ButtonBuilder> {
  const button = (action: string, label: string, style: ButtonStyle) => new ButtonBuilder().setCustomId(`${PREFIX}:${action}:${request.id}`).setLabel(label).setStyle(style);
  const answer = request.url ? [button('link', 'Open page…', ButtonStyle.Primary), button('done', 'Done', ButtonStyle.Success)] : [button('open', 'Answer…', ButtonStyle.Primary)];
  return new ActionRowBuilder<ButtonBuilder>().addComponents(...answer, button('decline', 'Decline', ButtonStyle.Secondary));
}

/** The page's link as a button only the asker sees (an ephemeral reply): its address may hold their own session. */
async function sendLinkPrivately(interaction: ButtonInteraction, url: string): Promise<void> {
  const open = new ButtonBuilder().setLabel('Open the page').setStyle(ButtonStyle.Link).setURL(url);
  await interaction.reply({
    content: 'Here is your link. Press Done under the question once you have finished there.',
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(open)],
    flags: MessageFlags.Ephemeral,
  });
}

export function isElicitationInteraction(customId: string): boolean {
  return customId.startsWith(`${PREFIX}:`);
}

/** The choices a field offers as a menu: its options, or yes/no; none when there are too many for one. */
function menuOptions(field: FormField): { value: string; label: string }[] | undefined {
  const options = field.kind === 'boolean' ? YES_NO : field.options;
  return options && options.length <= OPTIONS_PER_SELECT ? options : undefined;
}

function defaultValues(field: FormField): string[] {
  if (field.default === undefined) return [];
  if (typeof field.default === 'boolean') return [field.default ? 'yes' : 'no'];
  return Array.isArray(field.default) ? field.default : [String(field.default)];
}

function menuFor(field: FormField, options: { value: string; label: string }[]): StringSelectMenuBuilder {
  const chosen = defaultValues(field);
  return new StringSelectMenuBuilder()
    .setCustomId(field.name)
    .setRequired(field.required && field.default === undefined)
    .setMinValues(field.required && field.default === undefined ? 1 : 0)
    .setMaxValues(field.kind === 'choices' ? options.length : 1)
    .addOptions(options.map((option) => ({ value: option.value, label: clip(option.label, TEXT_LENGTH), default: chosen.includes(option.value) })));
}

function textInputFor(field: FormField): TextInputBuilder {
  const input = new TextInputBuilder()
    .setCustomId(field.name)
    .setStyle(TextInputStyle.Short)
    .setRequired(field.required && field.default === undefined);
  const placeholder = field.options?.length
    ? `${field.kind === 'choices' ? 'any of, comma-separated' : 'one of'}: ${field.options.map((option) => option.label).join(', ')}`
    : PLACEHOLDERS[field.kind];
  if (placeholder) input.setPlaceholder(clip(placeholder, TEXT_LENGTH));
  const chosen = defaultValues(field);
  if (chosen.length) input.setValue(chosen.join(', '));
  return input;
}

/**
 * A modal of one labelled input per field (Discord shows at most five), pre-filled with the defaults:
 * a menu for choices and yes/no, text for the rest. `customId` comes back with the submission.
 */
export function formModal(customId: string, title: string, fields: FormField[]): ModalBuilder {
  const labels = fields.slice(0, INPUTS_PER_MODAL).map((field) => {
    const label = new LabelBuilder().setLabel(clip(field.title, LABEL_LENGTH));
    if (field.description) label.setDescription(clip(field.description, TEXT_LENGTH));
    const options = menuOptions(field);
    return options ? label.setStringSelectMenuComponent(menuFor(field, options)) : label.setTextInputComponent(textInputFor(field));
  });
  return new ModalBuilder().setCustomId(customId).setTitle(clip(title, LABEL_LENGTH)).addLabelComponents(labels);
}

function modalFor(request: ElicitationRequest): ModalBuilder {
  return formModal(`${PREFIX}:submit:${request.id}`, `Answer ${request.server}`, request.fields);
}

/** What was entered in a `formModal`, as the engine reads it: menus give their picks, text inputs their text. */
export function enteredValues(interaction: ModalSubmitInteraction, fields: FormField[]): Extract<ElicitationAnswer, { action: 'accept' }>['values'] {
  return Object.fromEntries(
    fields.slice(0, INPUTS_PER_MODAL).map((field) => {
      if (!menuOptions(field)) return [field.name, interaction.fields.getTextInputValue(field.name)];
      const picked = interaction.fields.getStringSelectValues(field.name);
      return [field.name, field.kind === 'choices' ? [...picked] : picked[0]];
    }),
  );
}

const RETRY_HINT = ' Press Answer… to try again.';

export async function onElicitationButton(interaction: ButtonInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, action, id = ''] = interaction.customId.split(':');
  log.info({ question: id, user: interaction.user.id, action }, 'elicitation button pressed');
  if (action === 'decline') return acknowledgeAnswer(interaction, await engine.answerElicitation(id, interaction.user.id, { action: 'decline' }));
  if (action === 'done') return acknowledgeAnswer(interaction, await engine.answerElicitation(id, interaction.user.id, { action: 'accept', values: {} }));
  const request = await engine.waitingElicitation(id);
  if (!request) return acknowledgeAnswer(interaction, { kind: 'gone', restarted: false });
  if (request.askerId !== interaction.user.id) return answerPrivately(interaction, NOT_YOUR_QUESTION_TEXT);
  if (request.url) return sendLinkPrivately(interaction, request.url);
  await interaction.showModal(modalFor(request));
}

export async function onElicitationSubmit(interaction: ModalSubmitInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const [, , id = ''] = interaction.customId.split(':');
  const fields = (await engine.waitingElicitation(id))?.fields ?? [];
  const values = enteredValues(interaction, fields);
  log.info({ question: id, user: interaction.user.id }, 'elicitation form submitted');
  await acknowledgeAnswer(interaction, await engine.answerElicitation(id, interaction.user.id, { action: 'accept', values }), RETRY_HINT);
}
