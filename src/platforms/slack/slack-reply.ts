import type { webApi } from '@slack/bolt';
import { progressText, type FinalAnswer, type Reply, type TurnProgress } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { splitMessage } from '../shared/split-message.js';
import { ThrottledUpdate } from '../shared/throttled-update.js';
import { toMrkdwn } from './mrkdwn.js';

/** Well under Slack's 4,000-character advice for one message, leaving room for mrkdwn conversion. */
const PIECE_LIMIT = 3_500;
const PROGRESS_UPDATE_INTERVAL_MS = 1_000;
const PLACEHOLDER = ':hourglass_flowing_sand: Working on it…';

export interface SlackTarget {
  channel: string;
  /** Absent for a top-level DM, which is answered at the top level. */
  threadTs: string | undefined;
}

function slackError(error: unknown): string | undefined {
  return (error as { data?: { error?: string } }).data?.error;
}

/**
 * One turn's output in one Slack thread: a placeholder message, updated in place with progress and
 * finally replaced by the answer (or the error), so nothing is left behind.
 */
export class SlackReply implements Reply {
  private placeholderTs: string | undefined;
  private readonly progressUpdates = new ThrottledUpdate(PROGRESS_UPDATE_INTERVAL_MS, (text) =>
    this.client.chat.update({ channel: this.target.channel, ts: this.placeholderTs!, text }).catch((error: unknown) => this.log.warn({ error: slackError(error) }, 'progress update failed')),
  );

  constructor(
    private readonly client: webApi.WebClient,
    private readonly target: SlackTarget,
    private readonly log: Logger,
  ) {}

  /** Shows at once that the question arrived; a failure here is logged, the answer is still tried. */
  async begin(): Promise<void> {
    try {
      const posted = await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text: PLACEHOLDER });
      this.placeholderTs = posted.ts;
      this.progressUpdates.touched();
    } catch (error) {
      this.log.warn({ channel: this.target.channel, error: slackError(error) ?? String(error) }, 'placeholder could not be posted');
    }
  }

  async progress(event: TurnProgress): Promise<void> {
    if (this.placeholderTs) this.progressUpdates.request(progressText(event));
  }

  async final(answer: FinalAnswer): Promise<void> {
    await this.settle();
    const pieces = splitMessage(answer.text, PIECE_LIMIT).map(toMrkdwn);
    if (pieces.length === 0) pieces.push(answer.images.length > 0 ? 'Here you go.' : 'I have no answer to that.');
    const [first = '', ...rest] = pieces;
    await this.replacePlaceholder(first);
    for (const piece of rest) await this.post(piece);
    for (const image of answer.images) {
      const destination = this.target.threadTs ? { channel_id: this.target.channel, thread_ts: this.target.threadTs } : { channel_id: this.target.channel };
      await this.client.filesUploadV2({ ...destination, file: image.data, filename: image.filename, title: image.filename });
    }
  }

  async error(message: string): Promise<void> {
    await this.settle();
    await this.replacePlaceholder(message);
  }

  dispose(): void {
    this.progressUpdates.dispose();
  }

  private settle(): Promise<void> {
    return this.progressUpdates.settle();
  }

  private async replacePlaceholder(text: string): Promise<void> {
    if (!this.placeholderTs) return this.post(text);
    try {
      await this.client.chat.update({ channel: this.target.channel, ts: this.placeholderTs, text });
    } catch (error) {
      if (slackError(error) !== 'msg_too_long') throw error;
      await this.client.chat.update({ channel: this.target.channel, ts: this.placeholderTs, text: 'The answer is long; it follows in parts.' });
      await this.post(text);
    }
  }

  /** Posts in the thread; a piece Slack finds too long is split again, smaller. */
  private async post(text: string, limit = PIECE_LIMIT): Promise<void> {
    try {
      await this.client.chat.postMessage({ channel: this.target.channel, thread_ts: this.target.threadTs, text });
    } catch (error) {
      if (slackError(error) !== 'msg_too_long' || limit < 500) throw error;
      this.log.warn({ length: text.length }, 'Slack found a message too long; splitting it further');
      for (const piece of splitMessage(text, Math.floor(limit / 2))) await this.post(piece, Math.floor(limit / 2));
    }
  }
}
