import { AttachmentBuilder, type Message, type MessageCreateOptions, type SendableChannels } from 'discord.js';
import { progressText, type FinalAnswer, type Reply, type TurnProgress } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';

const MESSAGE_LIMIT = 2_000;
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
export class DiscordReply implements Reply {
  private typingTimer: NodeJS.Timeout | undefined;
  private progressMessage: Message | undefined;
  private latestProgress: string | undefined;
  private lastEditAt = 0;
  private editTimer: NodeJS.Timeout | undefined;
  private pendingEdit: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: ReplyTarget,
    private readonly log: Logger,
  ) {
    this.startTyping();
  }

  async progress(event: TurnProgress): Promise<void> {
    this.latestProgress = progressText(event);
    if (!this.progressMessage) {
      this.progressMessage = await this.post({ content: this.latestProgress });
      this.lastEditAt = Date.now();
      return;
    }
    // At most one edit a second; a burst of steps shows the latest one.
    this.editTimer ??= setTimeout(() => {
      this.editTimer = undefined;
      this.lastEditAt = Date.now();
      const content = this.latestProgress;
      this.pendingEdit = this.progressMessage!.edit({ content, allowedMentions: NO_PINGS }).catch((error: unknown) => this.log.warn({ err: error }, 'progress edit failed'));
    }, Math.max(0, this.lastEditAt + PROGRESS_EDIT_INTERVAL_MS - Date.now()));
  }

  async final(answer: FinalAnswer): Promise<void> {
    await this.settle();
    const pieces = splitMessage(answer.text, MESSAGE_LIMIT);
    if (pieces.length === 0 && answer.images.length === 0) pieces.push('I have no answer to that.');
    const [first, ...rest] = pieces;
    if (first !== undefined) await this.replaceProgressWith(first);
    for (const piece of rest) await this.post({ content: piece });
    if (answer.images.length > 0) {
      await this.post({ files: answer.images.map((image) => new AttachmentBuilder(image.data, { name: image.filename })) });
    }
  }

  async error(message: string): Promise<void> {
    await this.settle();
    await this.replaceProgressWith(message);
  }

  /** Stops typing and lets the last progress edit land before the answer replaces it. */
  private async settle(): Promise<void> {
    clearInterval(this.typingTimer);
    clearTimeout(this.editTimer);
    this.editTimer = undefined;
    await this.pendingEdit;
  }

  private async replaceProgressWith(content: string): Promise<void> {
    if (this.progressMessage) await this.progressMessage.edit({ content, allowedMentions: NO_PINGS });
    else await this.post({ content });
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

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    clearInterval(this.typingTimer);
    clearTimeout(this.editTimer);
  }
}
