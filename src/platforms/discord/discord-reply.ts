import { AttachmentBuilder, type Message, type MessageCreateOptions, type SendableChannels } from 'discord.js';
import { progressText, type FinalAnswer, type Reply, type TurnProgress } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';
import { ThrottledUpdate } from '../shared/throttled-update.js';

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
  private readonly progressEdits = new ThrottledUpdate(PROGRESS_EDIT_INTERVAL_MS, (content) =>
    this.progressMessage!.edit({ content, allowedMentions: NO_PINGS }).catch((error: unknown) => this.log.warn({ err: error }, 'progress edit failed')),
  );

  constructor(
    private readonly target: ReplyTarget,
    private readonly log: Logger,
  ) {
    this.startTyping();
  }

  async progress(event: TurnProgress): Promise<void> {
    if (this.progressMessage) return this.progressEdits.request(progressText(event));
    this.progressMessage = await this.post({ content: progressText(event) });
    this.progressEdits.touched();
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
    await this.progressEdits.settle();
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
    this.progressEdits.dispose();
  }
}
