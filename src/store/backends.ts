import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import KeyvPostgres from '@keyv/postgres';
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import type { KeyvStoreAdapter } from 'keyv';
import { StoreUnavailableError } from './store-unavailable-error.js';

/** How long a backend may take to connect before start-up gives up on it. */
export const CONNECT_TIMEOUT_MS = 5_000;

export type Backend = KeyvStoreAdapter | Map<string, unknown>;

const SCHEMES = 'sqlite://, redis://, rediss://, postgresql://, postgres:// or memory://';

/** Builds the Keyv adapter STORE_URL names; sqlite's folder is created on first run. */
export async function createBackend(url: string): Promise<Backend> {
  const scheme = url.slice(0, url.indexOf('://') + 3);
  switch (scheme) {
    case 'memory://':
      return new Map();
    case 'sqlite://': {
      const file = url.slice(scheme.length);
      if (!file) throw new StoreUnavailableError('STORE_URL sqlite:// needs a file path, e.g. sqlite://./data/bot.sqlite');
      await mkdir(path.dirname(path.resolve(file)), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        throw new StoreUnavailableError(`STORE_URL ${url}: cannot create the folder for the database (${error.code ?? error.message})`);
      });
      const sqlite = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: CONNECT_TIMEOUT_MS });
      // WAL without a sync per commit: ~10x the writes per second; a crash of the bot loses nothing,
      // only a crash of the machine can lose the last moments of history.
      await sqlite.query('PRAGMA journal_mode = WAL');
      await sqlite.query('PRAGMA synchronous = NORMAL');
      return sqlite;
    }
    case 'redis://':
    case 'rediss://':
      return new KeyvRedis(
        // Bounded connect time so start-up fails fast; after start-up a lost connection is retried.
        { url, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(200 * 2 ** retries, 10_000) } },
        { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: CONNECT_TIMEOUT_MS },
      );
    case 'postgres://':
    case 'postgresql://':
      // @keyv/postgres keeps one pg pool per process: the bot opens one store, so that is enough.
      return new KeyvPostgres({ uri: url, table: 'mcp_bot_store', connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: 5 });
    default:
      throw new StoreUnavailableError(`STORE_URL must start with ${SCHEMES}`);
  }
}
