import type Keyv from 'keyv';
import type { Logger } from '../../src/logging/logger.js';
import type { PlatformAdapter } from '../../src/platforms/types.js';
import { LocalTurnQueue, type TurnLease, type TurnQueue } from '../../src/queue/index.js';

/** The in-process queue as one bot process runs it, its jobs run by the adapter `adapter()` returns (built after the queue). */
export function queueServing(kv: Keyv, logger: Logger, adapter: () => PlatformAdapter | undefined): TurnQueue {
  const queue = new LocalTurnQueue(kv, logger);
  void queue.start(async (job, lease) => {
    const runner = adapter();
    if (!runner?.runJob) throw new Error(`no adapter runs ${job.platform} jobs here`);
    await runner.runJob(job, lease);
  });
  return queue;
}

/**
 * A lease of a shared queue (another process may take the job over) whose records all succeed at
 * once; `overrides` play the queue's side of a test: a take-over (`attempt`, `earlierReplies`, …), a
 * refusal (a record throwing TurnTakenOverError), a slow record.
 */
export function sharedLease(overrides: Partial<TurnLease> = {}): TurnLease {
  return { attempt: 1, waitedMs: 0, mayBeTakenOver: true, toolStarting: async () => undefined, answerSaved: async () => undefined, replyStarted: async () => undefined, earlierReplies: [], ...overrides };
}

/** About as long as a Redis round trip of a record: 20 turns of the event loop, in which whatever did not wait for it goes on. */
export async function recordLatency(): Promise<void> {
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}
