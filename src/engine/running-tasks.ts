import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';
import type { AnswerResult } from './questions.js';

/** A task as the store keeps it while it runs, so the next run of the bot can cancel it if this one dies. */
export interface RecordedTask {
  server: string;
  taskId: string;
  threadKey: string;
  /** As its server names it. */
  tool: string;
}

/** One tool step that may run as a task, and who may cancel it. */
interface Step {
  threadKey: string;
  askerId: string;
  server: string;
  tool: string;
  controller: AbortController;
  /** Set once the server created the task. */
  taskId?: string;
}

/** The store keeps one list of running tasks: the next start-up reads it whole. */
const STORE_KEY = 'tasks:running';

/**
 * Tool steps running as MCP tasks: each can be cancelled by its asker through its own id (a Cancel
 * button carries it), and each task is recorded in the store while it runs (server, task id, thread),
 * so a restarted bot cancels what the stopped one left rather than leaving it to run unwatched.
 */
export class RunningTasks {
  private readonly steps = new Map<string, Step>();
  /** Store updates one at a time, as each rewrites the list. */
  private updates: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: Keyv | undefined,
    private readonly log: Logger,
  ) {}

  /** A step about to call its tool: the id that cancels it and the signal the call listens to. */
  begin(step: Omit<Step, 'controller' | 'taskId'>): { id: string; signal: AbortSignal } {
    const id = randomUUID();
    const controller = new AbortController();
    this.steps.set(id, { ...step, controller });
    return { id, signal: controller.signal };
  }

  /** The step's server created its task: recorded until the step ends. */
  created(id: string, taskId: string): Promise<void> {
    const step = this.steps.get(id);
    if (!step) return Promise.resolve();
    step.taskId = taskId;
    const record = { server: step.server, taskId, threadKey: step.threadKey, tool: step.tool };
    return this.update((tasks) => [...tasks, record]);
  }

  /** The step ended, however it ended. */
  async end(id: string): Promise<void> {
    const step = this.steps.get(id);
    this.steps.delete(id);
    if (step?.taskId !== undefined) await this.update((tasks) => tasks.filter((task) => !(task.server === step.server && task.taskId === step.taskId)));
  }

  /** The asker's Cancel: only they may, and only while the step runs as a task. */
  cancel(id: string, userId: string): AnswerResult {
    const step = this.steps.get(id);
    if (!step?.taskId) return { kind: 'gone', restarted: false };
    if (step.askerId !== userId) return { kind: 'not-yours', askerId: step.askerId };
    this.log.info({ threadKey: step.threadKey, server: step.server, tool: step.tool, taskId: step.taskId }, 'task cancelled by its asker');
    step.controller.abort(new Error('the person who asked cancelled it'));
    return { kind: 'answered' };
  }

  /**
   * Cancels every step running as a task, e.g. when the bot stops: a task may run for half an hour, a
   * shutdown cannot wait. Plain calls are left to finish, as the rest of a turn is.
   */
  cancelAll(reason: string): void {
    for (const step of this.steps.values()) if (step.taskId !== undefined) step.controller.abort(new Error(reason));
  }

  /** The tasks an earlier run of the bot left running, taken out of the store: whoever calls this cancels them. */
  async takeLeftovers(): Promise<RecordedTask[]> {
    let leftovers: RecordedTask[] = [];
    await this.update((tasks) => {
      leftovers = tasks;
      return [];
    });
    return leftovers;
  }

  private update(change: (tasks: RecordedTask[]) => RecordedTask[]): Promise<void> {
    const kv = this.kv;
    if (!kv) return Promise.resolve();
    this.updates = this.updates.then(async () => {
      try {
        const tasks = ((await kv.get(STORE_KEY)) as RecordedTask[] | undefined) ?? [];
        await kv.set(STORE_KEY, change(tasks));
      } catch (error) {
        // The task still runs and can be cancelled; only a restart during it would leave it unwatched.
        this.log.warn({ err: error }, 'running tasks could not be recorded in the store');
      }
    });
    return this.updates;
  }
}
