import type { types, webApi } from '@slack/bolt';
import { progressText, type ImageAttachment, type ToolStep } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';
import { ThrottledUpdate } from '../shared/throttled-update.js';
import { toMrkdwn, toMrkdwnPieces } from './mrkdwn.js';
import { textBlocks } from './question-answers.js';
import { failureFields, slackErrorCode } from './slack-failures.js';

/** Well under the 4,000 characters Slack advises for one message's text. */
const PIECE_LIMIT = 3_500;
/** A piece Slack still refuses at this size is not refused for its length alone. */
const SMALLEST_PIECE = 500;
/** chat.update is rate tier 3 (about 50 a minute): one edit of a message a second at most. */
const UPDATE_INTERVAL_MS = 1_000;
const PLACEHOLDER_TEXT = ':hourglass_flowing_sand: Working on it…';
const UNDELIVERED_TEXT = 'Sorry, I could not post my answer here. An operator can find the reason in my logs.';

/** The Slack conversation a reply goes to. */
export interface SlackTarget {
  channel: string;
  /** Absent for a top-level DM, which is answered at the top level. */
  threadTs: string | undefined;
  /**
   * Told the ts of each message the turn posts (a stream, the live message, an answer's pieces), so a
   * process taking the turn over can close or remove it. Where it is given, no message shows answer
   * text before this resolved for it: see TurnLease.mayBeTakenOver.
   */
  recordStarted?: (ts: string) => Promise<void>;
}

/**
 * Output in one Slack thread by posting and editing messages, where a stream cannot be used (a
 * top-level DM, a channel where Slack refuses streaming, a stream Slack closed). The message it is
 * writing (a placeholder, progress, or the answer so far) is edited in place at most once a second,
 * and finally becomes the answer's first piece, so nothing that says "working" stays behind.
 */
export class PostedReply {
  /** The message being written: still a placeholder, progress or the answer so far, not yet final. */
  private liveTs: string | undefined;
  /** The text shown so far in `liveTs` (Markdown), when it shows answer text rather than progress. */
  private text = '';
  private posting: Promise<void> | undefined;
  private readonly updates = new ThrottledUpdate(UPDATE_INTERVAL_MS, (text) => this.updateLive(text));

  constructor(
    private readonly client: webApi.WebClient,
    private readonly target: SlackTarget,
    private readonly log: Logger,
  ) {}

  /** Shows at once that the question arrived; when Slack refuses it, the answer is still tried. */
  async begin(): Promise<void> {
    await this.postLive(PLACEHOLDER_TEXT);
  }

  /** The answer text (Markdown) the live message shows, or is about to. */
  get liveText(): string {
    return this.text;
  }

  progress(step: ToolStep & { detail?: string }): void {
    if (this.liveTs && !this.text) this.updates.request(toMrkdwn(progressText(step)));
  }

  /** More of the answer: the live message shows the text so far (its beginning, past one message's length). */
  appendText(text: string): void {
    if (!text) return;
    this.text += text;
    const shown = toMrkdwn(this.text).slice(0, PIECE_LIMIT);
    if (this.liveTs) this.updates.request(shown);
    else this.posting ??= this.postLive(shown).finally(() => {
      this.posting = undefined;
      // Text that arrived while the message was being posted.
      if (this.liveTs && this.text) this.updates.request(toMrkdwn(this.text).slice(0, PIECE_LIMIT));
    });
  }

  /**
   * The answer in full, replacing whatever the live message showed: split under Slack's limits,
   * `blocks` (e.g. feedback buttons) under the last piece, then the images.
   */
  async final(markdown: string, images: ImageAttachment[], blocks: types.KnownBlock[] = []): Promise<void> {
    await this.settle();
    const pieces = toMrkdwnPieces(markdown, PIECE_LIMIT);
    if (pieces.length === 0) pieces.push(images.length > 0 ? 'Here you go.' : 'I have no answer to that.');
    await this.delivering('answer', async () => {
      for (const [index, piece] of pieces.entries()) await this.write(piece, index === pieces.length - 1 ? blocks : []);
    });
    await this.attach(images);
  }

  /** Each image as a file in the thread; one Slack refuses is named in the thread instead. */
  async attach(images: ImageAttachment[]): Promise<void> {
    if (images.length > 0) await this.delivering('images', () => this.upload(images));
  }

  /** The turn failed: the text shown so far stays, the error line goes below it (or alone). */
  async fail(message: string): Promise<void> {
    if (this.text) return this.final(`${this.text}\n\n_${message}_`, []);
    await this.say(message);
  }

  /** A short message of the bot's own (not the model's answer), in place of the placeholder if there is one. */
  async say(text: string): Promise<void> {
    await this.settle();
    await this.delivering('message', () => this.write(text));
  }

  /** Only `user` sees it; for refusals, which should not fill a channel. */
  async whisper(user: string, text: string): Promise<void> {
    await this.delivering('private notice', async () => {
      await this.client.chat.postEphemeral({ channel: this.target.channel, thread_ts: this.target.threadTs, user, text });
    });
  }

  /**
   * Posts a question in place of the placeholder (or anew) and returns its ts, so whatever comes next
   * is posted below it and the thread reads in order. Answer text shown so far stays as it is.
   */
  async ask(question: { text: string; blocks: types.KnownBlock[] }): Promise<string | undefined> {
    await this.settle();
    // The answer so far is left whole above the question.
    if (this.text) await this.updateLive(toMrkdwn(this.text).slice(0, PIECE_LIMIT));
    const { channel, threadTs } = this.target;
    const live = this.text ? undefined : this.liveTs;
    this.liveTs = undefined;
    this.text = '';
    if (live) {
      try {
        await this.client.chat.update({ channel, ts: live, ...question });
        return live;
      } catch (error) {
        this.log.warn(failureFields(error), 'placeholder could not become the question; posting it anew');
      }
    }
    const posted = await this.client.chat.postMessage({ channel, thread_ts: threadTs, ...question });
    if (posted.ts) await this.target.recordStarted?.(posted.ts);
    return posted.ts;
  }

  /** Replaces a question's message with how it ended. */
  async settleQuestion(ts: string, markdown: string): Promise<void> {
    const text = toMrkdwn(markdown);
    await this.client.chat.update({ channel: this.target.channel, ts, text, blocks: textBlocks(text) });
  }

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    this.updates.dispose();
  }

  private async settle(): Promise<void> {
    await this.posting;
    await this.updates.settle();
  }

  /** Posts the live message; where it must be recorded first, as a placeholder that the next update fills. */
  private async postLive(text: string): Promise<void> {
    const { recordStarted } = this.target;
    try {
      const posted = await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text: recordStarted ? PLACEHOLDER_TEXT : text });
      this.liveTs = posted.ts;
      if (posted.ts) await recordStarted?.(posted.ts);
      if (!recordStarted || text === PLACEHOLDER_TEXT) this.updates.touched();
    } catch (error) {
      this.log.warn(failureFields(error), 'message could not be posted; the answer is tried again at the end');
    }
  }

  private async updateLive(text: string): Promise<void> {
    if (!this.liveTs) return;
    await this.client.chat.update({ channel: this.target.channel, ts: this.liveTs, text }).catch((error: unknown) => this.log.warn(failureFields(error), 'live update failed'));
  }

  /**
   * A post Slack refuses ends the turn here, logged with what an operator can do about it. A live
   * message still showing "working" is told so, rather than left behind.
   */
  private async delivering(what: string, post: () => Promise<void>): Promise<void> {
    try {
      await post();
    } catch (error) {
      this.log.error(failureFields(error), `the ${what} could not be posted to Slack`);
      if (!this.liveTs) return;
      await this.client.chat
        .update({ channel: this.target.channel, ts: this.liveTs, text: UNDELIVERED_TEXT })
        .then(() => (this.liveTs = undefined))
        .catch((retireError: unknown) => this.log.warn(failureFields(retireError), 'placeholder could not be retired'));
    }
  }

  /**
   * Writes the next piece: into the live message while there is one, else as a new message in the
   * thread. A piece Slack finds too long is split smaller and written again. With `blocks`, the text
   * goes in section blocks above them (a message with blocks shows its blocks, not its text).
   */
  private async write(text: string, blocks: types.KnownBlock[] = [], limit = PIECE_LIMIT): Promise<void> {
    const { channel, threadTs } = this.target;
    const content = blocks.length > 0 ? { text, blocks: [...textBlocks(text), ...blocks] } : { text };
    if (!this.liveTs && this.target.recordStarted) await this.postLive(PLACEHOLDER_TEXT);
    try {
      if (this.liveTs) {
        await this.client.chat.update({ channel, ts: this.liveTs, ...content });
        this.liveTs = undefined;
        this.text = '';
      } else {
        await this.client.chat.postMessage({ channel, thread_ts: threadTs, ...content });
      }
    } catch (error) {
      const code = slackErrorCode(error);
      if (this.liveTs && (code === 'message_not_found' || code === 'cant_update_message')) {
        this.log.warn(failureFields(error), 'placeholder could not be updated; posting the answer anew');
        this.liveTs = undefined;
        return this.write(text, blocks, limit);
      }
      if (code !== 'msg_too_long' || limit <= SMALLEST_PIECE) throw error;
      const smaller = Math.max(SMALLEST_PIECE, Math.floor(limit / 2));
      this.log.warn({ length: text.length, limit: smaller }, 'Slack found a message too long; splitting it smaller');
      const pieces = splitMessage(text, smaller);
      for (const [index, piece] of pieces.entries()) await this.write(piece, index === pieces.length - 1 ? blocks : [], smaller);
    }
  }

  private async upload(images: ImageAttachment[]): Promise<void> {
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
