import { createConnection } from 'node:net';

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

if (!redisAvailable) console.warn('Redis is not running on 127.0.0.1:6379: the Redis store tests are skipped.');
if (!postgresAvailable) console.warn('PostgreSQL is not running on 127.0.0.1:5432: the PostgreSQL store tests are skipped.');
