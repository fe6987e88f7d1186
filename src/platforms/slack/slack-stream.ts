import type { types, webApi } from '@slack/bolt';
import type { Logger } from '../../logging/logger.js';
import type { RateTier } from './rate-tier.js';
import { failureFields, slackErrorCode } from './slack-failures.js';

/** One call per stream at most this often, with everything that arrived meanwhile in it. */
const APPEND_INTERVAL_MS = 600;
/** Slack's limit for the markdown text of one streaming call. */
const MAX_CALL_TEXT = 12_000;

/** The thread a streamed message goes to (chat.startStream takes a thread, never the top level). */
export interface StreamTarget {
  channel: string;
  threadTs: string;
  /** Outside a DM Slack needs to know whom the stream is for. */
  recipient: { userId: string; teamId: string } | undefined;
  /** chat.appendStream's allowance, shared by the workspace's streams (tier 4); none: this stream alone. */
  appendTier?: RateTier;
  /**
   * Told the stream message's ts as Slack creates it. Where it is given, the stream starts without
   * text ("Thinking…" in Slack) and shows none until this resolved: see TurnLease.mayBeTakenOver.
   */
  recordStarted?: (ts: string) => Promise<void>;
}

/** What Slack refused, and the text it never showed (to be posted another way). */
export interface StreamBreak {
  code: string;
  undelivered: string;
}

type Chunk = types.AnyChunk;

/**
 * One streamed Slack message (chat.startStream → appendStream → stopStream). Text and task updates
 * are buffered and sent in order: the first text at once, then at most one call per
 * APPEND_INTERVAL_MS, as the SDK's `chatStream` buffers text but also on a timer, so a short sentence
 * is not held back until the buffer fills. The SDK helper is not used because a fallback needs to
 * know exactly which text Slack accepted: when Slack refuses a call (streaming not allowed here, or
 * `message_not_in_streaming_state` once it closed the stream after about five minutes), `onBreak`
 * gets the text it never showed, and the stream takes nothing more.
 */
export class SlackStream {
  private pending: Chunk[] = [];
  private ts: string | undefined;
  private sentText = false;
  private lastCallAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private broken = false;
  private stopped = false;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly target: StreamTarget,
    private readonly log: Logger,
    private readonly onBreak: (broke: StreamBreak) => void,
  ) {}

  /** Whether the stream still takes text: it was not refused, not expired and not stopped. */
  get open(): boolean {
    return !this.broken && !this.stopped;
  }

  /** Whether it has shown something, or has something to show. */
  get hasContent(): boolean {
    return this.ts !== undefined || this.pending.length > 0;
  }

  /** The message's ts once Slack started it. */
  get messageTs(): string | undefined {
    return this.ts;
  }

  appendText(text: string): void {
    if (!text) return;
    const last = this.pending.at(-1);
    if (last?.type === 'markdown_text') last.text += text;
    else this.pending.push({ type: 'markdown_text', text });
    this.schedule();
  }

  /** A task card's new state; several updates of one card in one call are all sent, so each state shows. */
  appendTask(task: Omit<types.TaskUpdateChunk, 'type'>): void {
    this.pending.push({ type: 'task_update', ...task });
    this.schedule();
  }

  /** Sends everything buffered and stops the stream; `blocks` go below the text (e.g. feedback buttons). */
  async stop(blocks?: types.KnownBlock[]): Promise<void> {
    this.dispose();
    await this.inFlight;
    if (!this.open) return;
    this.stopped = true;
    // A stream that never started shows nothing, so there is nothing to stop.
    if (!this.ts && this.pending.length === 0) return;
    while (!this.broken && (!this.ts || this.pendingText() > MAX_CALL_TEXT)) await this.call(false, false);
    if (!this.broken) await this.call(true, false, blocks);
  }

  /** Stops the timer; a turn that ended any way calls it. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.open || this.timer) return;
    const firstText = !this.sentText && this.pending.some((chunk) => chunk.type === 'markdown_text');
    this.later(firstText ? 0 : Math.max(0, this.lastCallAt + APPEND_INTERVAL_MS - Date.now()));
  }

  /** The next call in `ms`; an append waits further while the workspace's other answers have the tier's slot. */
  private later(ms: number): void {
    this.timer = setTimeout(() => {
      const busy = this.ts ? (this.target.appendTier?.take() ?? 0) : 0;
      if (busy > 0) return this.later(busy);
      this.timer = undefined;
      this.inFlight = this.inFlight.then(async () => {
        if (!this.open) return;
        await this.call(false, true);
        if (this.pending.length > 0) this.schedule();
      });
    }, ms);
  }

  /**
   * One call to Slack with as much of the buffer as a call may carry: startStream first, then
   * appendStream, or stopStream when `stop`. A refusal breaks the stream (see the class).
   */
  private async call(stop: boolean, holdTrailingAngle: boolean, blocks?: types.KnownBlock[]): Promise<void> {
    const chunks = this.take(holdTrailingAngle);
    if (chunks.length === 0 && this.ts && !stop) return;
    if (!this.ts && this.target.recordStarted) {
      // The text waits for the next call, after the message is recorded.
      const firstText = chunks.findIndex((chunk) => chunk.type === 'markdown_text');
      if (firstText !== -1) this.pending.unshift(...chunks.splice(firstText));
    }
    const { channel, threadTs, recipient } = this.target;
    const wire = chunks.map((chunk) => (chunk.type === 'markdown_text' ? { ...chunk, text: withoutCrowdPings(chunk.text) } : chunk));
    this.lastCallAt = Date.now();
    try {
      if (!this.ts) {
        const recipientArgs = recipient ? { recipient_user_id: recipient.userId, recipient_team_id: recipient.teamId } : {};
        const started = await this.client.chat.startStream({ channel, thread_ts: threadTs, ...recipientArgs, chunks: wire, task_display_mode: 'timeline' });
        this.ts = started.ts;
        if (started.ts) await this.target.recordStarted?.(started.ts);
      } else if (stop) {
        await this.client.chat.stopStream({ channel, ts: this.ts, ...(wire.length > 0 ? { chunks: wire } : {}), ...(blocks ? { blocks } : {}) });
      } else {
        await this.client.chat.appendStream({ channel, ts: this.ts, chunks: wire });
      }
      if (chunks.some((chunk) => chunk.type === 'markdown_text')) this.sentText = true;
    } catch (error) {
      this.broken = true;
      const undelivered = [...chunks, ...this.pending].map((chunk) => (chunk.type === 'markdown_text' ? chunk.text : '')).join('');
      this.pending = [];
      this.log.warn({ ...failureFields(error), streamTs: this.ts, undeliveredChars: undelivered.length }, 'Slack refused or closed the stream; the rest of the answer is posted instead');
      this.onBreak({ code: slackErrorCode(error) ?? 'request_failed', undelivered });
    }
  }

  private pendingText(): number {
    return this.pending.reduce((length, chunk) => length + (chunk.type === 'markdown_text' ? chunk.text.length : 0), 0);
  }

  /** Takes chunks from the buffer up to one call's text limit; with `holdTrailingAngle`, a last `<` waits for what follows it. */
  private take(holdTrailingAngle: boolean): Chunk[] {
    const taken: Chunk[] = [];
    let budget = MAX_CALL_TEXT;
    while (this.pending.length > 0) {
      const chunk = this.pending[0]!;
      if (chunk.type !== 'markdown_text') {
        taken.push(this.pending.shift()!);
        continue;
      }
      let text = chunk.text.slice(0, budget);
      if (holdTrailingAngle && text === chunk.text && this.pending.length === 1 && text.endsWith('<')) text = text.slice(0, -1);
      if (!text) break;
      chunk.text = chunk.text.slice(text.length);
      if (!chunk.text) this.pending.shift();
      budget -= text.length;
      taken.push({ type: 'markdown_text', text });
    }
    return taken;
  }
}

/**
 * Slack reads `<!channel>`, `<!here>`, `<!everyone>` and `<!subteam^…>` as pings of many people; the
 * model's text must never send one. A zero-width space after `<` leaves the text as it reads.
 */
export function withoutCrowdPings(text: string): string {
  return text.replace(/<!/g, '<\u200b!');
}

/**
 * Closes a message one run of a turn posted so that another run's answer stands alone: a stream is
 * stopped first (Slack may have closed it already, and a posted message is no stream: both refusals
 * are ignored), then, with `remove`, the message is deleted; a deletion Slack refuses is logged.
 */
export async function closeRunMessage(client: webApi.WebClient, channel: string, ts: string, remove: boolean, log: Logger): Promise<void> {
  await client.chat.stopStream({ channel, ts }).catch(() => undefined);
  if (!remove) return;
  await client.chat.delete({ channel, ts }).catch((error: unknown) => log.warn({ ...failureFields(error), ts }, 'a message of a run that another run replaces could not be removed'));
}
