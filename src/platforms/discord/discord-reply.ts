import { AttachmentBuilder, type Message, type MessageCreateOptions, type SendableChannels } from 'discord.js';
import {
  confirmationText,
  elicitationText,
  progressText,
  settledConfirmationText,
  settledElicitationText,
  type ConfirmationOutcome,
  type ConfirmationRequest,
  type ElicitationOutcome,
  type ElicitationRequest,
  type ImageAttachment,
  type ToolStep,
  type TurnEvent,
  type TurnOutput,
} from '../../engine/index.js';
import { renderStep, type StepRenderer } from '../shared/step-renderer.js';
import { confirmationButtons } from './confirmation-buttons.js';
import { elicitationButtons } from './elicitation-modal.js';
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';
import { ThrottledUpdate } from '../shared/throttled-update.js';
import { hintFor } from './discord-failures.js';

const MESSAGE_LIMIT = 2_000;
const FILES_PER_MESSAGE = 10;
/** Discord's typing indicator lasts about 10 s. */
const TYPING_INTERVAL_MS = 8_000;
const PROGRESS_EDIT_INTERVAL_MS = 1_000;
/** Model output must never ping @everyone, roles or users. */
const NO_PINGS = { parse: [] as [] };

export interface ReplyTarget {
  channel: SendableChannels;
  /** Set when no thread could be started: answers then reply to the question itself. */
  replyTo?: Message;
}

/** One turn's output in one Discord thread: typing, one progress message edited in place, then the answer. */
export class DiscordReply implements TurnOutput, StepRenderer {
  private typingTimer: NodeJS.Timeout | undefined;
  private progressMessage: Message | undefined;
  private readonly questions = new Map<string, Message>();
  private readonly progressEdits = new ThrottledUpdate(PROGRESS_EDIT_INTERVAL_MS, (content) =>
    this.progressMessage!.edit({ content, allowedMentions: NO_PINGS }).catch((error: unknown) => this.log.warn({ err: error, hint: hintFor(error) }, 'progress edit failed')),
  );

  constructor(
    private readonly target: ReplyTarget,
    private readonly log: Logger,
  ) {
    this.startTyping();
  }

  emit(event: TurnEvent): Promise<void> {
    return renderStep(this, event);
  }

  async progress(event: ToolStep & { detail?: string }): Promise<void> {
    if (this.progressMessage) return this.progressEdits.request(progressText(event));
    this.progressMessage = await this.post({ content: progressText(event) });
    this.progressEdits.touched();
  }

  async final(answer: { text: string; images: ImageAttachment[] }): Promise<void> {
    await this.settle();
    await this.delivering('answer', async () => {
      const pieces = splitMessage(answer.text, MESSAGE_LIMIT);
      if (pieces.length === 0 && answer.images.length === 0) pieces.push('I have no answer to that.');
      const [first, ...rest] = pieces;
      if (first !== undefined) await this.replaceProgressWith(first);
      for (const piece of rest) await this.post({ content: piece });
      await this.attach(answer.images);
    });
  }

  async error(message: string): Promise<void> {
    await this.settle();
    await this.delivering('error message', () => this.replaceProgressWith(message));
  }

  /** A line of the bot's own about the question, below whatever is shown. */
  async notice(text: string): Promise<void> {
    await this.delivering('notice', async () => {
      await this.post({ content: text });
    });
  }

  async askConfirmation(request: ConfirmationRequest): Promise<void> {
    await this.ask(request.id, { content: confirmationText(request), components: [confirmationButtons(request.id)] });
  }

  async endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void> {
    await this.settleQuestion(request.id, settledConfirmationText(request, outcome));
  }

  async askElicitation(request: ElicitationRequest): Promise<void> {
    const [content = ''] = splitMessage(elicitationText(request), MESSAGE_LIMIT);
    await this.ask(request.id, { content, components: [elicitationButtons(request.id)] });
  }

  async endElicitation(request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void> {
    await this.settleQuestion(request.id, settledElicitationText(request, outcome));
  }

  /**
   * A question takes the progress message's place (or a new one), so whatever comes next is posted
   * below it and the thread reads in order.
   */
  private async ask(id: string, question: Pick<MessageCreateOptions, 'content' | 'components'>): Promise<void> {
    // The bot is not the one busy while a person decides.
    clearInterval(this.typingTimer);
    await this.progressEdits.settle();
    const progress = this.progressMessage;
    this.progressMessage = undefined;
    const message = progress
      ? await progress.edit({ ...question, allowedMentions: NO_PINGS }).catch((error: unknown) => {
          this.log.warn({ err: error, hint: hintFor(error) }, 'progress message could not become the question; posting it anew');
          return this.post(question);
        })
      : await this.post(question);
    this.questions.set(id, message);
  }

  private async settleQuestion(id: string, content: string): Promise<void> {
    const message = this.questions.get(id);
    this.questions.delete(id);
    this.startTyping();
    await message?.edit({ content, components: [], allowedMentions: NO_PINGS });
  }

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    clearInterval(this.typingTimer);
    this.progressEdits.dispose();
  }

  /** Stops typing and lets the last progress edit land before the answer replaces it. */
  private async settle(): Promise<void> {
    clearInterval(this.typingTimer);
    await this.progressEdits.settle();
  }

  /**
   * A post Discord refuses ends the turn here, logged with what an operator can do about it: there is
   * nowhere left to tell the user.
   */
  private async delivering(what: string, post: () => Promise<void>): Promise<void> {
    try {
      await post();
    } catch (error) {
      this.log.error({ err: error, hint: hintFor(error) }, `the ${what} could not be posted to Discord`);
    }
  }

  private async replaceProgressWith(content: string): Promise<void> {
    if (this.progressMessage) {
      try {
        await this.progressMessage.edit({ content, allowedMentions: NO_PINGS });
        return;
      } catch (error) {
        // Someone may have deleted the progress message; the answer still gets through as a new one.
        this.log.warn({ err: error, hint: hintFor(error) }, 'progress message could not be edited; posting the answer anew');
      }
    }
    await this.post({ content });
  }

  /** Images after the text, within Discord's files per message; a refused upload is said in the thread. */
  private async attach(images: ImageAttachment[]): Promise<void> {
    for (let start = 0; start < images.length; start += FILES_PER_MESSAGE) {
      const batch = images.slice(start, start + FILES_PER_MESSAGE);
      try {
        await this.post({ files: batch.map((image) => new AttachmentBuilder(image.data, { name: image.filename })) });
      } catch (error) {
        const names = batch.map((image) => image.filename);
        this.log.warn({ err: error, hint: hintFor(error), files: names }, 'images could not be attached');
        await this.post({ content: `(I could not attach ${names.map((name) => `\`${name}\``).join(', ')}.)` });
      }
    }
  }

  private post(options: MessageCreateOptions): Promise<Message> {
    if (this.target.replyTo) return this.target.replyTo.reply({ ...options, allowedMentions: { ...NO_PINGS, repliedUser: false } });
    return this.target.channel.send({ ...options, allowedMentions: NO_PINGS });
  }

  private startTyping(): void {
    const type = () => void this.target.channel.sendTyping().catch((error: unknown) => this.log.debug({ err: error }, 'typing indicator failed'));
    type();
    this.typingTimer = setInterval(type, TYPING_INTERVAL_MS);
  }
}
