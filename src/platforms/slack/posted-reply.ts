import type { types, webApi } from '@slack/bolt';
import {
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
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';
import { ThrottledUpdate } from '../shared/throttled-update.js';
import { questionMessage } from './confirmation-blocks.js';
import { elicitationMessage } from './elicitation-blocks.js';
import { toMrkdwn, toMrkdwnPieces } from './mrkdwn.js';
import { textBlocks } from './question-answers.js';
import { failureFields, slackErrorCode } from './slack-failures.js';

/** Well under the 4,000 characters Slack advises for one message's text. */
const PIECE_LIMIT = 3_500;
/** A piece Slack still refuses at this size is not refused for its length alone. */
const SMALLEST_PIECE = 500;
const PROGRESS_UPDATE_INTERVAL_MS = 1_000;
export const PLACEHOLDER_TEXT = ':hourglass_flowing_sand: Working on it…';
const UNDELIVERED_TEXT = 'Sorry, I could not post my answer here. An operator can find the reason in my logs.';

export interface SlackTarget {
  channel: string;
  /** Absent for a top-level DM, which is answered at the top level. */
  threadTs: string | undefined;
}

/**
 * One turn's output in one Slack thread: a placeholder message, updated in place with progress and
 * finally turned into the answer's first piece (or the error), so it never stays behind.
 */
export class SlackReply implements TurnOutput, StepRenderer {
  /** Set while the placeholder still shows "working" or progress rather than the answer. */
  private placeholderTs: string | undefined;
  /** Question message ts by question id. */
  private readonly questions = new Map<string, string>();
  private readonly progressUpdates = new ThrottledUpdate(PROGRESS_UPDATE_INTERVAL_MS, (text) =>
    this.client.chat.update({ channel: this.target.channel, ts: this.placeholderTs!, text }).catch((error: unknown) => this.log.warn(failureFields(error), 'progress update failed')),
  );

  constructor(
    private readonly client: webApi.WebClient,
    private readonly target: SlackTarget,
    private readonly log: Logger,
  ) {}

  /** Shows at once that the question arrived; when Slack refuses it, the answer is still tried. */
  async begin(): Promise<void> {
    try {
      const posted = await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text: PLACEHOLDER_TEXT });
      this.placeholderTs = posted.ts;
      this.progressUpdates.touched();
    } catch (error) {
      this.log.warn(failureFields(error), 'placeholder could not be posted');
    }
  }

  emit(event: TurnEvent): Promise<void> {
    return renderStep(this, event);
  }

  async progress(event: ToolStep & { detail?: string }): Promise<void> {
    if (this.placeholderTs) this.progressUpdates.request(progressText(event));
  }

  async final(answer: { text: string; images: ImageAttachment[] }): Promise<void> {
    await this.progressUpdates.settle();
    const pieces = toMrkdwnPieces(answer.text, PIECE_LIMIT);
    if (pieces.length === 0) pieces.push(answer.images.length > 0 ? 'Here you go.' : 'I have no answer to that.');
    await this.delivering('answer', async () => {
      for (const piece of pieces) await this.write(piece);
    });
    if (answer.images.length > 0) await this.delivering('images', () => this.attach(answer.images));
  }

  async error(message: string): Promise<void> {
    await this.say(message);
  }

  async notice(text: string): Promise<void> {
    await this.say(text);
  }

  /** A short message of the bot's own (not the model's answer), in place of the placeholder if there is one. */
  async say(text: string): Promise<void> {
    await this.progressUpdates.settle();
    await this.delivering('message', () => this.write(text));
  }

  /** Only `user` sees it; for refusals, which should not fill a channel. */
  async whisper(user: string, text: string): Promise<void> {
    await this.delivering('private notice', async () => {
      await this.client.chat.postEphemeral({ channel: this.target.channel, thread_ts: this.target.threadTs, user, text });
    });
  }

  async askConfirmation(request: ConfirmationRequest): Promise<void> {
    await this.ask(request.id, questionMessage(request));
  }

  async endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void> {
    await this.settleQuestion(request.id, settledConfirmationText(request, outcome));
  }

  async askElicitation(request: ElicitationRequest): Promise<void> {
    await this.ask(request.id, elicitationMessage(request));
  }

  async endElicitation(request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void> {
    await this.settleQuestion(request.id, settledElicitationText(request, outcome));
  }

  /**
   * A question takes the placeholder's place (or is posted anew), so whatever comes next is posted
   * below it and the thread reads in order.
   */
  private async ask(id: string, question: { text: string; blocks: types.KnownBlock[] }): Promise<void> {
    await this.progressUpdates.settle();
    const { channel, threadTs } = this.target;
    const placeholder = this.placeholderTs;
    this.placeholderTs = undefined;
    if (placeholder) {
      try {
        await this.client.chat.update({ channel, ts: placeholder, ...question });
        this.questions.set(id, placeholder);
        return;
      } catch (error) {
        this.log.warn(failureFields(error), 'placeholder could not become the question; posting it anew');
      }
    }
    const posted = await this.client.chat.postMessage({ channel, thread_ts: threadTs, ...question });
    if (posted.ts) this.questions.set(id, posted.ts);
  }

  private async settleQuestion(id: string, markdown: string): Promise<void> {
    const ts = this.questions.get(id);
    this.questions.delete(id);
    if (!ts) return;
    const text = toMrkdwn(markdown);
    await this.client.chat.update({ channel: this.target.channel, ts, text, blocks: textBlocks(text) });
  }

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    this.progressUpdates.dispose();
  }

  /**
   * A post Slack refuses ends the turn here, logged with what an operator can do about it. A
   * placeholder still showing "working" is told so, rather than left behind.
   */
  private async delivering(what: string, post: () => Promise<void>): Promise<void> {
    try {
      await post();
    } catch (error) {
      this.log.error(failureFields(error), `the ${what} could not be posted to Slack`);
      if (!this.placeholderTs) return;
      await this.client.chat
        .update({ channel: this.target.channel, ts: this.placeholderTs, text: UNDELIVERED_TEXT })
        .then(() => (this.placeholderTs = undefined))
        .catch((retireError: unknown) => this.log.warn(failureFields(retireError), 'placeholder could not be retired'));
    }
  }

  /**
   * Writes the next piece: into the placeholder while it is still there, else as a new message in
   * the thread. A piece Slack finds too long is split smaller and written again.
   */
  private async write(text: string, limit = PIECE_LIMIT): Promise<void> {
    const { channel, threadTs } = this.target;
    try {
      if (this.placeholderTs) {
        await this.client.chat.update({ channel, ts: this.placeholderTs, text });
        this.placeholderTs = undefined;
      } else {
        await this.client.chat.postMessage({ channel, thread_ts: threadTs, text });
      }
    } catch (error) {
      const code = slackErrorCode(error);
      if (this.placeholderTs && (code === 'message_not_found' || code === 'cant_update_message')) {
        this.log.warn(failureFields(error), 'placeholder could not be updated; posting the answer anew');
        this.placeholderTs = undefined;
        return this.write(text, limit);
      }
      if (code !== 'msg_too_long' || limit <= SMALLEST_PIECE) throw error;
      const smaller = Math.max(SMALLEST_PIECE, Math.floor(limit / 2));
      this.log.warn({ length: text.length, limit: smaller }, 'Slack found a message too long; splitting it smaller');
      for (const piece of splitMessage(text, smaller)) await this.write(piece, smaller);
    }
  }

  /** Each image as a file in the thread; one Slack refuses is named in the thread instead. */
  private async attach(images: ImageAttachment[]): Promise<void> {
    const { channel, threadTs } = this.target;
    for (const image of images) {
      try {
        const destination = threadTs ? { channel_id: channel, thread_ts: threadTs } : { channel_id: channel };
        await this.client.filesUploadV2({ ...destination, file: image.data, filename: image.filename, title: image.filename });
      } catch (error) {
        this.log.warn({ ...failureFields(error), file: image.filename }, 'image could not be uploaded');
        await this.write(`(I could not attach \`${image.filename}\`.)`);
      }
    }
  }
}
