import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../src/llm/types.js';
import { openStore } from '../src/store/index.js';
import { isPortOpen, POSTGRES_URL, REDIS_URL } from '../test/helpers/services.js';
import { now } from './measure.js';
import { logger, sqliteStore } from './setup.js';
import type { Store } from '../src/store/types.js';

const HISTORY: ChatMessage[] = Array.from({ length: 20 }, (_, index) => ({ role: index % 2 ? 'assistant' : 'user', content: `message ${index}: ${'lorem ipsum '.repeat(10)}` }));

async function pairsPerSecond(store: Store, durationMs: number): Promise<number> {
  const prefix = `bench:ops:${randomUUID()}`;
  let pairs = 0;
  const started = now();
  while (now() - started < durationMs) {
    const key = `${prefix}:${pairs % 100}`;
    await store.history.get(key);
    await store.history.set(key, HISTORY);
    pairs += 1;
  }
  return pairs / ((now() - started) / 1000);
}

/** History get+set pairs per second with 20-message histories, per backend that is reachable. */
export async function measureStoreOps(durationMs: number): Promise<Record<string, number | null>> {
  const sqlite = await sqliteStore();
  const results: Record<string, number | null> = {};
  try {
    results.sqlite = await pairsPerSecond(sqlite.store, durationMs);
  } finally {
    await sqlite.close();
  }
  for (const [name, url, port] of [['redis', REDIS_URL, 6379], ['postgres', POSTGRES_URL, 5432]] as const) {
    if (!(await isPortOpen(port))) {
      results[name] = null;
      continue;
    }
    const store = await openStore({ url, historyTtlMs: 60 * 60 * 1000 }, logger);
    try {
      results[name] = await pairsPerSecond(store, durationMs);
    } finally {
      await store.close();
    }
  }
  return results;
}
