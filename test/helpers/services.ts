import { createConnection } from 'node:net';
import { createClient } from '@keyv/redis';
import type { Store } from '../../src/store/types.js';

/** True when something accepts TCP connections on 127.0.0.1:port within a second. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/test';

export const redisAvailable = await isPortOpen(6379);
export const postgresAvailable = await isPortOpen(5432);

if (!redisAvailable) console.warn('Redis is not running on 127.0.0.1:6379: the tests that need it are skipped.');
if (!postgresAvailable) console.warn('PostgreSQL is not running on 127.0.0.1:5432: the tests that need it are skipped.');

/**
 * Removes what a test wrote under its namespace on a shared Redis or PostgreSQL, through one of its
 * stores. Message claims live beside Keyv's own keys (`<namespace>:claim:…`), which Keyv's clear()
 * leaves on Redis, so those go by pattern.
 */
export async function forgetNamespace(store: Store, url: string): Promise<void> {
  await store.kv.clear();
  if (!url.startsWith('redis')) return;
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${store.kv.namespace}:*` })) if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}
