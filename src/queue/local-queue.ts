import type Keyv from 'keyv';
import { ThreadQueue } from '../engine/thread-queue.js';
import type { Logger } from '../logging/logger.js';
import { claimOnce } from '../store/index.js';
import type { QueueCounts, TurnJob, TurnJobHandler, TurnLease, TurnQueue } from './types.js';

/** A job id is known for this long: Slack redelivers an unacknowledged event within about an hour. */
export const SEEN_JOB_TTL_MS = 2 * 60 * 60 * 1000;

/** Nothing can take over a turn of a process that is gone with its queue, so nothing is recorded. */
const firstRun = (waitedMs: number): TurnLease => ({ attempt: 1, waitedMs, mayBeTakenOver: false, toolStarting: async () => undefined, answerSaved: async () => undefined, replyStarted: async () => undefined, earlierReplies: [] });

/**
 * The queue of one bot process (SQLite or memory store): each thread's jobs in this process's memory,
 * one at a time, in the order they were enqueued. Ids are remembered in the store, so a platform's
 * redelivery after a restart is still a duplicate. Jobs do not outlive the process.
 */
export class LocalTurnQueue implements TurnQueue {
  readonly kind = 'in-process';
  private readonly threads = new ThreadQueue();
  private handler: TurnJobHandler | undefined;
  private readonly handlerSet: Promise<TurnJobHandler>;
  private setHandler!: (handler: TurnJobHandler) => void;
  private active = 0;

  constructor(
    private readonly kv: Keyv,
    private readonly log: Logger,
  ) {
    this.handlerSet = new Promise((resolve) => (this.setHandler = resolve));
  }

  async enqueue(job: TurnJob): Promise<'queued' | 'duplicate'> {
    // The place first, before the dedupe round trip: a later message of the thread must not overtake this one.
    const place = this.threads.reserve(job.threadKey);
    let fresh: boolean;
    try {
      fresh = await claimOnce(this.kv, `job:${job.id}`, SEEN_JOB_TTL_MS);
    } catch (error) {
      place.release();
      throw error;
    }
    if (!fresh) {
      place.release();
      return 'duplicate';
    }
    const enqueuedAt = Date.now();
    void place.run(() => this.run(job, enqueuedAt));
    return 'queued';
  }

  async start(handler: TurnJobHandler): Promise<void> {
    this.handler = handler;
    this.setHandler(handler);
  }

  async stop(timeoutMs: number): Promise<void> {
    if (!(await this.threads.idle(timeoutMs))) this.log.warn({ running: this.active }, 'turns still running when the queue stopped waiting');
  }

  async counts(): Promise<QueueCounts> {
    return { waiting: Math.max(0, this.threads.inFlight - this.active), active: this.active, stalled: 0 };
  }

  running(): number {
    return this.active;
  }

  async close(): Promise<void> {}

  private async run(job: TurnJob, enqueuedAt: number): Promise<void> {
    const handler = this.handler ?? (await this.handlerSet);
    this.active += 1;
    try {
      await handler(job, firstRun(Date.now() - enqueuedAt));
    } catch (error) {
      this.log.error({ err: error, threadKey: job.threadKey, job: job.id }, 'turn job failed');
    } finally {
      this.active -= 1;
    }
  }
}
