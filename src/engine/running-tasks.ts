import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';
import { claimOnce } from '../store/index.js';
import { serveForwarded, type MessageBus } from '../store/types.js';
import type { AnswerResult } from './questions.js';

/** A task as the store keeps it while it runs, so the next run of the bot can cancel it if this one dies. */
export interface RecordedTask {
  server: string;
  taskId: string;
  threadKey: string;
  /** As its server names it. */
  tool: string;
  /** The bus id of the process running it, where processes share the store: its tasks are not leftovers while it lives. */
  owner?: string;
  /** On a per-person server, whose connection runs it (Asker.personId): only that connection can cancel it. */
  person?: string;
}

/** A step running as a task, as other processes sharing the store find it by its cancel id. */
interface CancelRecord {
  askerId: string;
  /** The bus id of the process running it. */
  owner: string;
}

/** A Cancel pressed on one process, on its way to the process running the task. */
interface ForwardedCancel {
  id: string;
  userId: string;
}

/** One tool step that may run as a task, and who may cancel it. */
interface Step {
  threadKey: string;
  askerId: string;
  server: string;
  tool: string;
  /** On a per-person server: the asker's person id, whose connection runs it. */
  person?: string;
  controller: AbortController;
  /** Set once the server created the task. */
  taskId?: string;
}

/** The store keeps one list of running tasks: the next start-up reads it whole. */
const STORE_KEY = 'tasks:running';
const cancelKey = (id: string) => `task:${id}`;
/**
 * How long a cancel record outlives a process that died without removing it (ms). A task may run for
 * hours; a Cancel pressed for a task of a dead process finds no one to answer either way.
 */
const CANCEL_RECORD_TTL_MS = 24 * 60 * 60 * 1000;
/** How long the process that took a leftover task keeps others from taking it too (ms). */
const LEFTOVER_CLAIM_MS = 60 * 60 * 1000;
/** Where a process hears Cancels pressed on other processes. */
const cancelsChannel = (processId: string) => `tasks:${processId}`;
/** How long a Cancel handed to the running process may take to come back with its result (ms). */
const FORWARD_TIMEOUT_MS = 5_000;

const isForwardedCancel = (value: unknown): value is ForwardedCancel =>
  typeof value === 'object' && value !== null && typeof (value as ForwardedCancel).id === 'string' && typeof (value as ForwardedCancel).userId === 'string';
const isAnswerResult = (value: unknown): value is AnswerResult =>
  typeof value === 'object' && value !== null && ['answered', 'not-yours', 'gone'].includes((value as AnswerResult).kind);

/**
 * Tool steps running as MCP tasks: each can be cancelled by its asker through its own id (a Cancel
 * button carries it), and each task is recorded in the store while it runs (server, task id, thread),
 * so a restarted bot cancels what the stopped one left rather than leaving it to run unwatched. Where
 * processes share the store, each task also records its asker and its process under its cancel id,
 * so a Cancel pressed on another process is checked there and handed over the bus to this one.
 */
export class RunningTasks {
  private readonly steps = new Map<string, Step>();
  /** Store updates one at a time, as each rewrites the list. */
  private updates: Promise<void> = Promise.resolve();
  /** Resolves once this process hears Cancels forwarded by others (at once without a bus). */
  private readonly serving: Promise<void>;

  /** @param bus where several processes share the store; absent, tasks are cancelled where they run */
  constructor(
    private readonly kv: Keyv | undefined,
    private readonly log: Logger,
    private readonly bus?: MessageBus,
  ) {
    this.serving = serveForwarded(bus, cancelsChannel, (body) => this.cancelForwarded(body), log, 'Cancels');
  }

  /** A step about to call its tool: the id that cancels it and the signal the call listens to. */
  begin(step: Omit<Step, 'controller' | 'taskId'>): { id: string; signal: AbortSignal } {
    const id = randomUUID();
    const controller = new AbortController();
    this.steps.set(id, { ...step, controller });
    return { id, signal: controller.signal };
  }

  /** The step's server created its task: recorded until the step ends. */
  async created(id: string, taskId: string): Promise<void> {
    const step = this.steps.get(id);
    if (!step) return;
    step.taskId = taskId;
    const owner = this.bus?.processId;
    const record = { server: step.server, taskId, threadKey: step.threadKey, tool: step.tool, ...(owner ? { owner } : {}), ...(step.person ? { person: step.person } : {}) };
    await Promise.all([this.update((tasks) => [...tasks, record]), owner && this.recordForCancel(id, { askerId: step.askerId, owner })]);
  }

  /** The step ended, however it ended. */
  async end(id: string): Promise<void> {
    const step = this.steps.get(id);
    this.steps.delete(id);
    if (step?.taskId === undefined) return;
    await Promise.all([
      this.update((tasks) => tasks.filter((task) => !(task.server === step.server && task.taskId === step.taskId))),
      this.bus && this.kv?.delete(cancelKey(id)).catch((error: unknown) => this.log.warn({ err: error }, 'task could not be removed from the store')),
    ]);
  }

  /**
   * The asker's Cancel: only they may, and only while the step runs as a task. A task running on
   * another process is cancelled there; when that process does not answer within a few seconds (it
   * stopped or died), the task counts as gone with it.
   */
  async cancel(id: string, userId: string): Promise<AnswerResult> {
    const here = this.cancelHere(id, userId);
    if (here) return here;
    if (!this.bus) return { kind: 'gone', restarted: false };
    const recorded = (await this.kv?.get(cancelKey(id)).catch((error: unknown) => this.log.warn({ err: error, cancelId: id }, 'task store unreachable'))) as CancelRecord | undefined;
    if (!recorded || recorded.owner === this.bus.processId) return { kind: 'gone', restarted: false };
    if (recorded.askerId !== userId) return { kind: 'not-yours', askerId: recorded.askerId };
    const result = await this.bus.request(cancelsChannel(recorded.owner), { id, userId } satisfies ForwardedCancel, FORWARD_TIMEOUT_MS);
    if (isAnswerResult(result)) return result;
    this.log.info({ cancelId: id, owner: recorded.owner }, 'the process running the task did not take the Cancel: it counts as gone');
    return { kind: 'gone', restarted: true };
  }

  /**
   * Cancels every step running as a task, e.g. when the bot stops: a task may run for half an hour, a
   * shutdown cannot wait. Plain calls are left to finish, as the rest of a turn is.
   */
  cancelAll(reason: string): void {
    for (const step of this.steps.values()) if (step.taskId !== undefined) step.controller.abort(new Error(reason));
  }

  /**
   * The tasks an earlier run of the bot left running, taken out of the store: whoever calls this
   * cancels them. Where processes share the store, the tasks of processes still running stay theirs,
   * and of processes starting together only one takes each leftover.
   */
  async takeLeftovers(): Promise<RecordedTask[]> {
    let leftovers: RecordedTask[] = [];
    await this.update(async (tasks) => {
      const running = await this.runningOwners(tasks);
      leftovers = tasks.filter((task) => task.owner === undefined || !running.has(task.owner));
      return tasks.filter((task) => !leftovers.includes(task));
    });
    const kv = this.kv;
    if (!this.bus || !kv) return leftovers;
    // Where the claim cannot be made, taking a task twice beats leaving it to run unwatched.
    const won = await Promise.all(leftovers.map((task) => claimOnce(kv, `leftover-task:${task.server}:${task.taskId}`, LEFTOVER_CLAIM_MS).catch(() => true)));
    return leftovers.filter((_, index) => won[index]);
  }

  /** The step running here, cancelled by `userId`; undefined when it does not run here. */
  private cancelHere(id: string, userId: string): AnswerResult | undefined {
    const step = this.steps.get(id);
    if (!step) return undefined;
    if (!step.taskId) return { kind: 'gone', restarted: false };
    if (step.askerId !== userId) return { kind: 'not-yours', askerId: step.askerId };
    this.log.info({ threadKey: step.threadKey, server: step.server, tool: step.tool, taskId: step.taskId }, 'task cancelled by its asker');
    step.controller.abort(new Error('the person who asked cancelled it'));
    return { kind: 'answered' };
  }

  /** A Cancel pressed on another process for a task of this one. */
  private async cancelForwarded(body: unknown): Promise<AnswerResult> {
    if (!isForwardedCancel(body)) return { kind: 'gone', restarted: false };
    const result = this.cancelHere(body.id, body.userId) ?? { kind: 'gone', restarted: false };
    this.log.info({ cancelId: body.id, user: body.userId, result: result.kind }, 'Cancel pressed on another process');
    return result;
  }

  private async recordForCancel(id: string, record: CancelRecord): Promise<void> {
    await this.serving;
    try {
      await this.kv?.set(cancelKey(id), record, CANCEL_RECORD_TTL_MS);
    } catch (error) {
      // The task can still be cancelled on this process.
      this.log.warn({ err: error }, 'task could not be recorded for a Cancel on another process');
    }
  }

  /** Those of the tasks' processes that still listen on the bus; none without one. */
  private async runningOwners(tasks: RecordedTask[]): Promise<Set<string>> {
    const bus = this.bus;
    if (!bus) return new Set();
    const owners = [...new Set(tasks.flatMap((task) => (task.owner ? [task.owner] : [])))];
    const listening = await Promise.all(owners.map((owner) => bus.listeners(cancelsChannel(owner))));
    return new Set(owners.filter((_, index) => listening[index]! > 0));
  }

  private update(change: (tasks: RecordedTask[]) => RecordedTask[] | Promise<RecordedTask[]>): Promise<void> {
    const kv = this.kv;
    if (!kv) return Promise.resolve();
    this.updates = this.updates.then(async () => {
      try {
        const tasks = ((await kv.get(STORE_KEY)) as RecordedTask[] | undefined) ?? [];
        await kv.set(STORE_KEY, await change(tasks));
      } catch (error) {
        // The task still runs and can be cancelled; only a restart during it would leave it unwatched.
        this.log.warn({ err: error }, 'running tasks could not be recorded in the store');
      }
    });
    return this.updates;
  }
}
