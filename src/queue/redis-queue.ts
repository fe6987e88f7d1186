import { Queue, Worker, type ReservedJob } from 'groupmq';
import { Redis } from 'ioredis';
import type { ToolStep } from '../engine/types.js';
import type { Logger } from '../logging/logger.js';
import { SEEN_JOB_TTL_MS } from './local-queue.js';
import { TurnTakenOverError, type JobData, type QueueCounts, type TurnJob, type TurnJobHandler, type TurnLease, type TurnQueue } from './types.js';

export interface RedisTurnQueueOptions {
  /** The store's Redis (STORE_URL), database number included. */
  url: string;
  /** The store's key namespace: two bots on one Redis keep apart. */
  namespace: string;
  /** How long a running turn holds its thread without renewing (TURN_LEASE_S); renewed every third of it. */
  leaseMs: number;
  /** Turns this process runs at once, across threads. */
  concurrency: number;
  logger: Logger;
}

/** How long a job's run record (its attempts, the tool it started) is kept: longer than any turn. */
const RUN_RECORD_TTL_MS = 24 * 60 * 60 * 1000;
/** Stalled is a lease lapsed this long ago: a renewal in flight is not mistaken for a death. */
const STALL_GRACE_MS = 1_000;
/**
 * Puts back in groupmq's ready set each thread that has jobs waiting, none running, and is not ready:
 * a state groupmq 1.1.0 can still leave behind when a process dies mid-turn under load (seen about
 * once in ten several-processes runs), in which the thread would wait for ever. Returns how many.
 */
const READY_STRANDED_THREADS = `
local ns = KEYS[1]
local repaired = 0
for _, gid in ipairs(redis.call('SMEMBERS', ns .. ':groups')) do
  if redis.call('LLEN', ns .. ':g:' .. gid .. ':active') == 0 and not redis.call('ZSCORE', ns .. ':ready', gid) then
    local head = redis.call('ZRANGE', ns .. ':g:' .. gid, 0, 0, 'WITHSCORES')
    if head and #head >= 2 then
      redis.call('ZADD', ns .. ':ready', tonumber(head[2]), gid)
      repaired = repaired + 1
    end
  end
end
return repaired`;

/**
 * Whether the caller's run (ARGV[1]) still owns its job: the last run counted in the run record
 * (KEYS[1]), and the job not put back in line by groupmq (KEYS[2]). A run whose process stalled past
 * its lease loses the job the moment the stalled-job check puts it back (status `waiting`), before
 * any other process starts it; given up after MAX_STALLS (`failed`), it is nobody else's. groupmq
 * keeps no owner of its own: its heartbeat and completion go by job id.
 */
const OWNS_JOB = `
local function owns()
  return redis.call('HGET', KEYS[1], 'runs') == ARGV[1] and redis.call('HGET', KEYS[2], 'status') ~= 'waiting'
end`;

/** Sets a field (ARGV[2]) of the run record to ARGV[3] while the caller owns the job; 1 when set, 0 otherwise. */
const SET_WHILE_OWNER = `${OWNS_JOB}
if not owns() then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1`;

/** Deletes the run record while the caller owns the job (a take-over still needs it otherwise); 1 when deleted. */
const DELETE_WHILE_OWNER = `${OWNS_JOB}
if not owns() then return 0 end
return redis.call('DEL', KEYS[1])`;

/**
 * Whether another run of the job is due or under way: groupmq put it back in line (`waiting`), or runs
 * it again (`processing`, and the run record counts a run after the caller's). 1 or 0.
 */
const ANOTHER_RUN_PENDING = `
local status = redis.call('HGET', KEYS[2], 'status')
return (status == 'waiting' or (status == 'processing' and redis.call('HGET', KEYS[1], 'runs') ~= ARGV[1])) and 1 or 0`;

/** A job recovered this often is given up, so a job that kills every process it lands on stops doing so. */
const MAX_STALLS = 3;

/**
 * groupmq's lines at debug, errors as errors: it warns about routine events (a thread's next message
 * found waiting behind a running one), which the bot's own logs already tell better.
 */
function queueLogger(log: Logger) {
  const line = (level: 'debug' | 'error') => (...args: unknown[]) => log[level]({ detail: args.slice(1).map(String).join(' ') || undefined }, String(args[0]));
  return { debug: line('debug'), info: line('debug'), warn: line('debug'), error: line('error') };
}

/**
 * The queue of bot processes sharing one Redis, on groupmq: one group per thread key gives per-thread
 * FIFO across every process (a group runs one job at a time, its jobs in `orderMs` order) while
 * different threads run in parallel on all of them. A running job's lease is renewed by groupmq's
 * heartbeat; when its process dies, the lease lapses and another process's stalled-job check puts
 * the job back at the head of its thread, within about `leaseMs` plus a third of it.
 *
 * groupmq 1.1.0 is patched (patches/groupmq+1.1.0.patch): its inline recovery of a dead process's
 * job left the job marked active in its group, so the thread waited for ever (upstream issues #12 and
 * #14), and a thread with a message waiting behind a running turn kept every idle worker spinning on
 * it; such a thread now leaves the ready set until its running job completes or is recovered.
 *
 * What groupmq does not know is kept beside it, per job: a seen-id key (a redelivery after the job
 * finished is still a duplicate) and a run record (how often it started, and the tool it had started,
 * so a take-over does not repeat a tool call).
 */
export class RedisTurnQueue implements TurnQueue {
  readonly kind = 'redis';
  private readonly queue: Queue<TurnJob>;
  private worker: Worker<TurnJob> | undefined;
  private repairs: NodeJS.Timeout | undefined;
  private active = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly options: RedisTurnQueueOptions,
  ) {
    this.queue = new Queue<TurnJob>({ redis, namespace: `${options.namespace}:turns`, jobTimeoutMs: options.leaseMs, maxAttempts: 1, logger: queueLogger(options.logger) });
  }

  /** Connects, and proves Redis answers. @throws when it does not within a few seconds */
  static async open(options: RedisTurnQueueOptions): Promise<RedisTurnQueue> {
    const redis = new Redis(options.url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 3 });
    redis.on('error', (error: Error) => options.logger.warn({ err: error }, 'turn queue: Redis connection error'));
    await redis.connect();
    return new RedisTurnQueue(redis, options);
  }

  async enqueue(job: TurnJob): Promise<'queued' | 'duplicate'> {
    const seen = this.key(`turn-seen:${job.id}`);
    if ((await this.redis.exists(seen)) === 1) return 'duplicate';
    // Two deliveries at once both get here; groupmq keeps one job per id while it waits or runs.
    await this.queue.add({ groupId: job.threadKey, data: job, orderMs: job.orderMs, jobId: job.id, maxAttempts: 1 });
    await this.redis.set(seen, '1', 'PX', SEEN_JOB_TTL_MS);
    return 'queued';
  }

  async start(handler: TurnJobHandler): Promise<void> {
    const { leaseMs, concurrency, logger } = this.options;
    this.worker = new Worker<TurnJob>({
      queue: this.queue,
      concurrency,
      handler: (job) => this.run(job, handler),
      heartbeatMs: Math.max(500, Math.floor(leaseMs / 3)),
      stalledInterval: Math.max(500, Math.floor(leaseMs / 3)),
      stalledGracePeriod: STALL_GRACE_MS,
      maxStalledCount: MAX_STALLS,
      // Its periodic sweep promotes delayed and repeating jobs, which turns never are; the stalled check recovers dead turns.
      enableCleanup: false,
      logger: queueLogger(logger),
      onError: (error, job) => logger.warn({ err: error, job: job?.id }, 'turn queue error'),
    });
    this.worker.on('stalled', (jobId: string, threadKey: string) => logger.warn({ job: jobId, threadKey }, 'a turn whose process stopped renewing its lease was taken back'));
    this.repairs = setInterval(() => void this.readyStrandedThreads(), Math.max(500, Math.floor(leaseMs / 3)));
    this.repairs.unref();
  }

  private async readyStrandedThreads(): Promise<void> {
    try {
      const repaired = Number(await this.redis.eval(READY_STRANDED_THREADS, 1, `groupmq:${this.options.namespace}:turns`));
      if (repaired > 0) this.options.logger.warn({ threads: repaired }, 'threads left waiting by the queue after a process died were made ready again');
    } catch (error) {
      this.options.logger.debug({ err: error }, 'stranded threads could not be checked');
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.repairs);
    await this.worker?.close(timeoutMs);
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts();
    // groupmq keeps running jobs in `processing`, scored by their lease's deadline.
    const stalled = await this.redis.zcount(`groupmq:${this.options.namespace}:turns:processing`, '-inf', Date.now());
    return { waiting: counts.waiting + counts.delayed, active: counts.active, stalled };
  }

  running(): number {
    return this.active;
  }

  async close(): Promise<void> {
    clearInterval(this.repairs);
    await this.queue.close().catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private key(suffix: string): string {
    return `${this.options.namespace}:${suffix}`;
  }

  /**
   * The end of a run: its record goes while it owns the job. A run that lost the job returns to
   * groupmq only once the run that takes it over (maybe not started yet) has ended: groupmq would
   * complete the job by its id alone, under that run, and free its thread for the next message meanwhile.
   */
  private async letGo(keys: string[], attempt: number, log: Logger): Promise<void> {
    if (Number(await this.redis.eval(DELETE_WHILE_OWNER, 2, ...keys, String(attempt))) === 1) return;
    const anotherRunPending = async () => Number(await this.redis.eval(ANOTHER_RUN_PENDING, 2, ...keys, String(attempt))) === 1;
    if (!(await anotherRunPending())) return;
    log.warn('this run lost its turn to another process; it lets the queue go once that run has ended');
    const pollMs = Math.max(500, Math.floor(this.options.leaseMs / 3));
    while (await anotherRunPending()) await new Promise((resolve) => setTimeout(resolve, pollMs));
    log.info('the run that took this turn over has ended');
  }

  private async run(reserved: ReservedJob<TurnJob>, handler: TurnJobHandler): Promise<void> {
    const job = reserved.data;
    const record = this.key(`turn-run:${job.id}`);
    const keys = [record, `groupmq:${this.options.namespace}:turns:job:${job.id}`];
    const log = this.options.logger.child({ threadKey: job.threadKey, job: job.id });
    this.active += 1;
    let ownedAttempt: number | undefined;
    try {
      const replies = await this.redis.multi().hincrby(record, 'runs', 1).hget(record, 'tool').hget(record, 'replies').hget(record, 'answer').pexpire(record, RUN_RECORD_TTL_MS).exec();
      const attempt = Number(replies?.[0]?.[1] ?? 1);
      const tool = replies?.[1]?.[1];
      const earlier = replies?.[2]?.[1];
      const earlierReplies = typeof earlier === 'string' ? (JSON.parse(earlier) as JobData[]) : [];
      const savedAnswer = replies?.[3]?.[1];
      const started: JobData[] = [];
      const setWhileOwner = async (field: string, value: string) => {
        if (Number(await this.redis.eval(SET_WHILE_OWNER, 2, ...keys, String(attempt), field, value)) !== 1) throw new TurnTakenOverError(job.id);
      };
      ownedAttempt = attempt;
      const lease: TurnLease = {
        attempt,
        waitedMs: Math.max(0, Date.now() - reserved.timestamp),
        mayBeTakenOver: true,
        interruptedTool: typeof tool === 'string' ? (JSON.parse(tool) as ToolStep) : undefined,
        toolStarting: (step) => setWhileOwner('tool', JSON.stringify(step)),
        answerSaved: (text) => setWhileOwner('answer', text),
        ...(typeof savedAnswer === 'string' ? { savedAnswer } : {}),
        replyStarted: (reply) => {
          started.push(reply);
          return setWhileOwner('replies', JSON.stringify([...earlierReplies, ...started]));
        },
        earlierReplies,
      };
      if (attempt > 1) log.warn({ attempt, interruptedTool: lease.interruptedTool?.tool, answerSaved: lease.savedAnswer !== undefined }, 'taking over a turn whose process stopped');
      await handler(job, lease);
    } catch (error) {
      // Not retried: the turn may have posted already, and a second answer is worse than an error logged.
      log.error({ err: error }, 'turn job failed');
    } finally {
      if (ownedAttempt !== undefined) await this.letGo(keys, ownedAttempt, log).catch((error: unknown) => log.warn({ err: error }, 'turn run record not cleared'));
      this.active -= 1;
    }
  }
}
