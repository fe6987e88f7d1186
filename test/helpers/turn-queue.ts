import type Keyv from 'keyv';
import type { Logger } from '../../src/logging/logger.js';
import type { PlatformAdapter } from '../../src/platforms/types.js';
import { LocalTurnQueue, type TurnQueue } from '../../src/queue/index.js';

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
