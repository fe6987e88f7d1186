import { Redis } from 'ioredis';

/** A hash's fields with long values (a job's payload) cut, so its state fields stay readable. */
function shortFields(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value.length > 80 ? `${value.slice(0, 80)}…` : value]));
}

export interface RedisDatabase {
  number: number;
  /** For STORE_URL: redis://127.0.0.1:6379/<number>. */
  url: string;
  /** Every key with its type and, for small collections, its content: what a run left, for a report. */
  snapshot(): Promise<string[]>;
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
  const snapshot = async () => {
    const lines: string[] = [];
    for (const key of (await client.keys('*')).sort()) {
      const type = await client.type(key);
      const content =
        type === 'zset' ? await client.zrange(key, 0, 49, 'WITHSCORES') : type === 'list' ? await client.lrange(key, 0, 49) : type === 'set' ? await client.smembers(key) : type === 'hash' ? shortFields(await client.hgetall(key)) : type === 'string' ? await client.get(key) : '';
      lines.push(`${key} (${type}): ${JSON.stringify(content)?.slice(0, 1000)}`);
    }
    return lines;
  };
  return {
    number,
    snapshot,
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
