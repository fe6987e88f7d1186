import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';
import { LocalTurnQueue } from './local-queue.js';
import type { TurnQueue } from './types.js';

/** Turns one process runs at once on Redis, across threads: they wait on the model and tools, not on the CPU. */
const TURNS_AT_ONCE = 32;

export interface TurnQueueSettings {
  /** STORE_URL: Redis gets the shared queue, any other store the in-process one. */
  storeUrl: string;
  /** The store's Keyv: its namespace keeps two bots on one Redis apart; the in-process queue remembers job ids in it. */
  kv: Keyv;
  leaseMs: number;
}

/**
 * The queue the store allows: Redis, which several processes share, gets groupmq (loaded only then);
 * SQLite, PostgreSQL and memory, which serve one process, the in-process queue.
 * @throws when Redis does not answer
 */
export async function openTurnQueue(settings: TurnQueueSettings, logger: Logger): Promise<TurnQueue> {
  if (!/^rediss?:/.test(settings.storeUrl)) return new LocalTurnQueue(settings.kv, logger);
  const { RedisTurnQueue } = await import('./redis-queue.js');
  return RedisTurnQueue.open({ url: settings.storeUrl, namespace: settings.kv.namespace ?? 'mcp-bot', leaseMs: settings.leaseMs, concurrency: TURNS_AT_ONCE, logger });
}
