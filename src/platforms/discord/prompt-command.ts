import { MessageFlags, type AutocompleteInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction } from 'discord.js';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, PromptError, promptFields, promptId, type ConversationEngine, type IncomingFile } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { ServerPrompt } from '../../mcp/index.js';
import type { EnqueueTurn } from './ask-command.js';
import { enteredValues, formModal } from './elicitation-modal.js';
import { askConversation, interactionTurn, type ChannelInteraction } from './interaction-conversations.js';
import type { DiscordTurn } from './turn-job.js';

const PREFIX = 'prompt:';
// Discord's limits: 25 autocomplete choices of up to 100 characters; a modal's custom id holds up to 100.
const AUTOCOMPLETE_CHOICES = 25;
const CHOICE_LENGTH = 100;
const CUSTOM_ID_LENGTH = 100;

const clip = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length - 1)}…`);

export function isPromptForm(customId: string): boolean {
  return customId.startsWith(PREFIX);
}

/** A prompt as an autocomplete choice: its id as the value, with what it does after it in the label. */
function choiceOf(prompt: ServerPrompt): { name: string; value: string } {
  const id = promptId(prompt);
  const about = prompt.title ?? prompt.description;
  return { name: clip(about ? `${id} — ${about}` : id, CHOICE_LENGTH), value: id };
}

const submittedInChannel = (interaction: ModalSubmitInteraction): interaction is ModalSubmitInteraction & { channelId: string } => interaction.channelId !== null;

/**
 * `/prompt name:<prompt>`: the servers' prompts the asker may use, offered by autocomplete; a prompt
 * with arguments asks for them in a modal (the form servers' questions use), and the prompt is queued
 * as an `/ask` is, filled in by the process that runs the turn and answered in the interaction itself.
 */
export class PromptCommand {
  constructor(
    private readonly engine: ConversationEngine,
    private readonly enqueue: EnqueueTurn,
    private readonly log: Logger,
  ) {}

  /** Choices whose id, title or description holds what was typed (ignoring case). */
  async autocomplete(interaction: AutocompleteInteraction, asker: Asker): Promise<void> {
    const typed = interaction.options.getFocused().toLowerCase();
    const choices = this.engine.prompts
      .list(asker)
      .map(choiceOf)
      .filter((choice) => choice.value.length <= CHOICE_LENGTH && choice.name.toLowerCase().includes(typed));
    await interaction.respond(choices.slice(0, AUTOCOMPLETE_CHOICES));
  }

  /** The command itself: the form first when the prompt takes arguments (a modal must be Discord's first answer), else straight on. */
  async run(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    if (!this.engine.admits(asker)) return this.tell(interaction, ACCESS_DENIED_MESSAGE);
    const name = interaction.options.getString('name', true);
    const prompt = this.engine.prompts.find(asker, name);
    if (!prompt) return this.tell(interaction, `No prompt is named \`${name}\`. Pick one of the suggestions.`);
    if (prompt.arguments.length === 0) return this.ask(interaction, asker, prompt, {});
    const customId = `${PREFIX}${promptId(prompt)}`;
    if (customId.length > CUSTOM_ID_LENGTH) return this.tell(interaction, `The prompt \`${promptId(prompt)}\` has too long a name for a Discord form.`);
    await interaction.showModal(formModal(customId, prompt.title ?? promptId(prompt), promptFields(prompt)));
  }

  /** The prompt's form came back: checked, then the filled prompt is asked. */
  async submit(interaction: ModalSubmitInteraction, asker: Asker): Promise<void> {
    const prompt = this.engine.prompts.find(asker, interaction.customId.slice(PREFIX.length));
    if (!prompt || !submittedInChannel(interaction)) return this.tell(interaction, 'That prompt is no longer offered.');
    const read = this.engine.prompts.readArguments(prompt, enteredValues(interaction, promptFields(prompt)));
    if (!read.ok) return this.tell(interaction, `${read.message} Run /prompt again to fix it.`);
    await this.ask(interaction, asker, prompt, read.args);
  }

  private async ask(interaction: ChannelInteraction, asker: Asker, prompt: ServerPrompt, args: Record<string, string>): Promise<void> {
    await interaction.deferReply();
    const threadKey = askConversation(interaction);
    this.log.info({ threadKey, user: asker.userId, server: prompt.server, prompt: prompt.name }, '/prompt');
    await this.enqueue(threadKey, interactionTurn(interaction, asker, { text: '', prompt: { id: promptId(prompt), args } }));
  }

  /**
   * The question a queued `/prompt` asks, filled in by its server now; a PromptError's message (the
   * prompt is gone, or its server failed) says what to do, for the interaction's reply.
   * @throws PromptError
   */
  async question(asker: Asker, queued: NonNullable<DiscordTurn['prompt']>): Promise<{ text: string; files: IncomingFile[] }> {
    const prompt = this.engine.prompts.find(asker, queued.id);
    if (!prompt) throw new PromptError(`The prompt \`${queued.id}\` is no longer offered.`);
    return this.engine.prompts.question(asker, prompt, queued.args);
  }

  private async tell(interaction: ChatInputCommandInteraction | ModalSubmitInteraction, content: string): Promise<void> {
    await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  }
}
