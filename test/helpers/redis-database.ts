import { Redis } from 'ioredis';

export interface RedisDatabase {
  number: number;
  /** For STORE_URL: redis://127.0.0.1:6379/<number>. */
  url: string;
  /** Empties the database (FLUSHDB). */
  flush(): Promise<void>;
  /** Empties it and closes the connection. */
  close(): Promise<void>;
}

/**
 * A whole Redis database of the server on 127.0.0.1:6379 for one run, emptied before it is handed out
 * and again by `close`: for tests that start bot processes, whose keys (store, queue) cannot be given a
 * per-test prefix from outside. Each caller picks its own number so that runs of different tests never meet.
 */
export async function openRedisDatabase(number: number): Promise<RedisDatabase> {
  const client = new Redis({ host: '127.0.0.1', port: 6379, db: number, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const flush = async () => void (await client.flushdb());
  await flush();
  return {
    number,
    url: `redis://127.0.0.1:6379/${number}`,
    flush,
    close: async () => {
      try {
        await flush();
      } finally {
        client.disconnect();
      }
    },
  };
}
