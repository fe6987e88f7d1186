import type { Client, ServerCapabilities } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, GetTaskResultSchema } from '@modelcontextprotocol/core';
import { z } from 'zod';
import type { TaskEvents } from './types.js';

/**
 * Whether a connection can run tools as MCP tasks: the server declares task-augmented `tools/call`
 * (`capabilities.tasks.requests.tools.call`; without it a client must not ask, whatever a tool says,
 * MCP spec 2025-11-25, basic/utilities/tasks) and the connection speaks a 2025 revision. On 2026-07-28
 * tasks became an extension (SEP-2663) that the v2 SDK does not run: it refuses `tasks/*` there.
 */
export function runsTasks(client: Client): boolean {
  const capabilities: ServerCapabilities | undefined = client.getServerCapabilities();
  const tasks = (capabilities as { tasks?: { requests?: { tools?: { call?: unknown } } } } | undefined)?.tasks;
  return client.getProtocolEra() === 'legacy' && tasks?.requests?.tools?.call !== undefined;
}

/** How a task call ended: the tool's result as the server sent it, or cancelled (and why, in words). */
export type TaskCallEnd = { kind: 'result'; result: unknown } | { kind: 'cancelled'; reason: string };

export interface TaskCallOptions {
  /** Each request's time-out (the tool time-out): the creating `tools/call`, every poll, `tasks/result`, `tasks/cancel`. */
  requestTimeoutMs: number;
  /** After this long the call has outlived the tool time-out: the task keeps running and `events.overdue` is told once. */
  overdueAfterMs: number;
  /** After this long the task is cancelled (MCP_TASK_MAX_S). */
  maxMs: number;
  /** Aborted when the asker cancels; the task is then cancelled on the server. */
  signal?: AbortSignal;
  events?: TaskEvents;
}

const ANY_RESULT = z.unknown();
/** Polls no faster than this, whatever a server asks, and no slower than the longest wait (ms). */
const MIN_POLL_MS = 100;
const MAX_POLL_MS = 30_000;
/** When the server names no poll interval. */
const DEFAULT_POLL_MS = 1_000;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

type Task = z.infer<typeof GetTaskResultSchema>;

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * Runs one `tools/call` as an MCP task (MCP spec 2025-11-25, basic/utilities/tasks): asks for task
 * execution with `params.task`, then polls `tasks/get` at the server's `pollInterval` (within 0.1–30 s),
 * telling `events` each new status, and fetches the tool's result with `tasks/result` once the task
 * completes or fails (or needs input: `tasks/result` is where a server's questions for the task come,
 * and it answers once the task has ended). A server that runs the call at once instead answers with
 * the result itself, which is returned as it is. The asker's abort and the `maxMs` limit end in
 * `tasks/cancel`. Request failures (an error answer, a time-out, a lost connection) are thrown.
 */
export async function callAsTask(client: Client, params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> }, options: TaskCallOptions): Promise<TaskCallEnd> {
  const { requestTimeoutMs, signal, events } = options;
  const started = Date.now();
  // Only the requests that may wait long stop at the asker's abort; a poll is short, and is followed by `tasks/cancel`.
  const request = (method: string, requestParams: Record<string, unknown>, timeout = requestTimeoutMs, abortable = false) =>
    client.request({ method, params: requestParams } as never, ANY_RESULT, { timeout, signal: abortable ? signal : undefined });
  const reasonOf = (abort: AbortSignal) => (abort.reason instanceof Error ? abort.reason.message : 'it was cancelled');

  const answer = await request('tools/call', { ...params, task: { ttl: options.maxMs } }, requestTimeoutMs, true);
  const created = CreateTaskResultSchema.safeParse(answer);
  if (!created.success) return { kind: 'result', result: answer };
  let task: Task = created.data.task;
  events?.created(task.taskId);
  events?.status(task.status, task.statusMessage);

  const cancel = async (reason: string): Promise<TaskCallEnd> => {
    await request('tasks/cancel', { taskId: task.taskId });
    return { kind: 'cancelled', reason };
  };
  let overdue = false;
  while (!TERMINAL.has(task.status) && task.status !== 'input_required') {
    const elapsed = Date.now() - started;
    if (signal?.aborted) return cancel(reasonOf(signal));
    if (elapsed >= options.maxMs) return cancel(`it ran longer than the task limit of ${seconds(options.maxMs)}`);
    if (!overdue && elapsed >= options.overdueAfterMs) {
      overdue = true;
      events?.overdue(elapsed);
    }
    const interval = Math.min(Math.max(task.pollInterval ?? DEFAULT_POLL_MS, MIN_POLL_MS), MAX_POLL_MS);
    // Woken early for the deadline and the time-out notice, so neither waits a whole long interval.
    const nextMark = overdue ? options.maxMs : Math.min(options.overdueAfterMs, options.maxMs);
    await pause(Math.min(interval, Math.max(nextMark - elapsed, 0)), signal);
    if (signal?.aborted) continue;
    const polled = GetTaskResultSchema.parse(await request('tasks/get', { taskId: task.taskId }));
    // The end is the outcome's to tell; a status is news while the task runs.
    const changed = polled.status !== task.status || polled.statusMessage !== task.statusMessage;
    if (changed && !TERMINAL.has(polled.status)) events?.status(polled.status, polled.statusMessage);
    task = polled;
  }
  if (task.status === 'cancelled') return { kind: 'cancelled', reason: task.statusMessage ?? 'the server cancelled it' };
  if (task.status !== 'input_required') return { kind: 'result', result: await request('tasks/result', { taskId: task.taskId }) };
  // A task waiting for input answers once it has ended: bounded by what is left of the task limit, and stopped by the asker.
  const left = Math.max(options.maxMs - (Date.now() - started), requestTimeoutMs);
  try {
    return { kind: 'result', result: await request('tasks/result', { taskId: task.taskId }, left, true) };
  } catch (error) {
    if (signal?.aborted) return cancel(reasonOf(signal));
    throw error;
  }
}
