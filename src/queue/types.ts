import type { ToolStep } from '../engine/types.js';

/** JSON that survives a trip through Redis unchanged. */
export type JobData = null | boolean | number | string | JobData[] | { [key: string]: JobData | undefined };

/**
 * A message a platform accepted for the bot, waiting for its turn. Everything in it is serializable:
 * whichever process runs the job rebuilds the message and its reply target from `data` alone.
 */
export interface TurnJob {
  /** The platform event's identity (e.g. `slack-message:T1:C1:1712.0001`): a second job with an id still known is a duplicate. */
  id: string;
  /** One job at a time per thread key, in `orderMs` order; different keys run in parallel. */
  threadKey: string;
  /** Where the platform put the message in time (ms since the epoch: Slack's `ts`, a Discord snowflake's time). */
  orderMs: number;
  /** Which adapter runs it (`slack`, `discord`, `console`). */
  platform: string;
  /** The adapter's own description of the message and where to answer (its reply target). */
  data: JobData;
}

/**
 * What the queue tells the turn it runs. `interruptedTool`: this run takes over a job whose process
 * died after that tool had started; repeating it could repeat its side effects, so the turn should
 * not run again (the engine tells the thread instead), unless the turn had got as far as its answer
 * (`savedAnswer`).
 */
export interface TurnLease {
  /** 1 on the first run; more when another process takes over a job whose process stopped answering. */
  attempt: number;
  /** How long the job waited in the queue before this run, in ms. */
  waitedMs: number;
  /**
   * Whether another process may take this job over if this one dies (a shared queue). A platform then
   * records each message (`replyStarted`) before it shows answer text in it: a message Slack or
   * Discord showed whole, from a process killed before it was recorded, is one the take-over cannot
   * find, and the thread would show the answer twice.
   */
  mayBeTakenOver: boolean;
  interruptedTool?: ToolStep;
  /**
   * Called before each tool call starts, so a take-over knows not to repeat the turn.
   * @throws TurnTakenOverError when another process took the job over meanwhile (this one stalled
   *   past its lease): the tool must not run, that process answers the message
   */
  toolStarting(step: ToolStep): Promise<void>;
  /**
   * Called with the turn's answer once it is kept in the history, before it is shown: a process that
   * dies while showing it leaves a take-over that shows it again rather than running the turn again.
   * @throws TurnTakenOverError as toolStarting: the answer must not be shown
   */
  answerSaved(text: string): Promise<void>;
  /** The answer an earlier run saved (see `answerSaved`), maybe not shown whole: this run shows it instead of running the turn. */
  savedAnswer?: string;
  /**
   * Called by the platform with each message it posts for the turn, with what it needs to find it
   * again, so a take-over can close or remove it (see mayBeTakenOver).
   * @throws TurnTakenOverError as toolStarting: the message is not recorded, and the turn will withdraw it
   */
  replyStarted(reply: JobData): Promise<void>;
  /** What earlier runs of this job recorded with `replyStarted`, oldest first (a take-over only). */
  earlierReplies: JobData[];
}

/** Runs one job; a rejection is logged and the job is not retried (its turn already told the thread). */
export type TurnJobHandler = (job: TurnJob, lease: TurnLease) => Promise<void>;

/** The queue's state, for /healthz and /metrics. `stalled`: jobs whose process stopped renewing their lease, not yet taken over. */
export interface QueueCounts {
  waiting: number;
  active: number;
  stalled: number;
}

/**
 * Where accepted messages wait for their turn. One implementation per deployment shape, one contract
 * (test/queue/turn-queue-contract.ts): in-process for one bot on SQLite or memory, Redis for several
 * bot processes sharing one Redis.
 */
export interface TurnQueue {
  /** `in-process` or `redis`, for logs and /healthz. */
  readonly kind: 'in-process' | 'redis';
  /**
   * Puts the job in its thread's line. Resolves once it is as durable as the queue gets (on Redis:
   * stored there), so a platform event can be acknowledged after; `duplicate` when a job with this id
   * is known (a platform's redelivery). Rejects when the queue cannot take it (Redis down).
   */
  enqueue(job: TurnJob): Promise<'queued' | 'duplicate'>;
  /** Starts running jobs, this process's share of them, through `handler`. */
  start(handler: TurnJobHandler): Promise<void>;
  /**
   * Takes no more jobs and waits up to `timeoutMs` for the running ones. Jobs still running then are
   * left to their leases: another process takes them over once a lease lapses.
   */
  stop(timeoutMs: number): Promise<void>;
  counts(): Promise<QueueCounts>;
  /** Jobs this process is running now. */
  running(): number;
  close(): Promise<void>;
}

/**
 * This run lost its job to another process, which took it over after this one stopped renewing its
 * lease (a stall: a paused VM, a long pause of the event loop), and now answers the message itself.
 */
export class TurnTakenOverError extends Error {
  constructor(jobId: string) {
    super(`turn ${jobId} was taken over by another process`);
    this.name = 'TurnTakenOverError';
  }
}
