import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type Keyv from 'keyv';
import type { KeyvStoreAdapter } from 'keyv';
import { redisHistoryFencing, type HistoryFencing } from './history-fencing.js';
import { claimWithPostgres, claimWithRedis, claimWithSqlite } from './claim-once.js';
import type { RedisClient } from './redis-bus.js';
import { describeStoreUrl, StoreUnavailableError } from './store-unavailable-error.js';

/**
 * How long a backend may take to accept a connection. PostgreSQL may need two attempts at start-up
 * (the adapter's table creation, then the probe), and both must fit in openStore's deadline.
 */
const CONNECT_TIMEOUT_MS = 2_000;
/** Connect timeouts retried before the first connection: two tries fit in openStore's deadline. */
const FIRST_CONNECT_TIMEOUT_RETRIES = 1;
/** A PostgreSQL statement that takes longer fails instead of holding a turn forever. */
const QUERY_TIMEOUT_MS = 5_000;

/** The Keyv storage behind STORE_URL, and how to bring it up or drop it. */
export interface Backend {
  store: KeyvStoreAdapter | Map<string, unknown>;
  /** Resolves once the backend accepts connections; rejects with the reason it does not. */
  connect(): Promise<void>;
  /** Drops connections at once, pending work included: used when start-up gives up. */
  destroy(): Promise<void>;
  /** Where several processes may share the backend (Redis): fencing for history writes. */
  fencing?(kv: Keyv): HistoryFencing;
  /** On Redis, the store's client, which the message bus duplicates for its subscriber. */
  redis?: RedisClient;
}

/** Each Redis store's client, by its Keyv adapter. */
const redisClients = new WeakMap<object, RedisClient>();

/**
 * The node-redis client under a Keyv on a Redis store, for what needs Redis's own commands (counting
 * across processes); undefined on the other backends. Commands fail at once while it is disconnected.
 */
export function redisClientOf(kv: Keyv): RedisClient | undefined {
  return redisClients.get(kv.store as object);
}

const SCHEMES = 'sqlite://<path>, redis://, rediss://, postgresql://, postgres:// or memory://';

/**
 * node-redis's reconnect strategy for the store: ms to wait before the next try, or the error that ends
 * trying. Until the first connection a failure is final, so start-up reports it at once; but a connect
 * timeout (`timedOut`) is tried once more first, since on a busy machine (several bots starting at
 * once on two cores) Redis may accept late. Afterwards: back-off, 200 ms doubling up to 10 s.
 */
export function redisReconnectDelay(connected: boolean, retries: number, cause: Error, timedOut: boolean): number | Error {
  if (connected) return Math.min(200 * 2 ** retries, 10_000);
  return timedOut && retries < FIRST_CONNECT_TIMEOUT_RETRIES ? 100 : cause;
}

/** Each backend's driver is loaded only when STORE_URL names it: the others would cost start-up time for nothing. */
async function redisBackend(url: string): Promise<Backend> {
  const [{ default: KeyvRedis, createClient }, { ConnectionTimeoutError }] = await Promise.all([import('@keyv/redis'), import('@redis/client')]);
  let connected = false;
  const client = createClient({
    url,
    // While the connection is down, commands fail at once instead of queueing until it is back.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number, cause: Error) => redisReconnectDelay(connected, retries, cause, cause instanceof ConnectionTimeoutError),
    },
  });
  const store = new KeyvRedis(client, { throwOnErrors: true });
  claimWithRedis(store);
  redisClients.set(store, client);
  return {
    store,
    fencing: (kv) => redisHistoryFencing(kv, store),
    redis: client,
    async connect() {
      await client.connect();
      connected = true;
    },
    async destroy() {
      if (client.isOpen) client.destroy();
    },
  };
}

async function sqliteBackend(url: string, file: string): Promise<Backend> {
  if (!file) throw new StoreUnavailableError('STORE_URL sqlite:// needs a file path, e.g. sqlite://./data/bot.sqlite');
  await mkdir(path.dirname(path.resolve(file)), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new StoreUnavailableError(`store ${describeStoreUrl(url)} cannot be used: cannot create the folder for the database (${error.code ?? error.message}) (check STORE_URL)`);
  });
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const store = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: CONNECT_TIMEOUT_MS });
  claimWithSqlite(store);
  return {
    store,
    connect: async () => {
      // WAL without a sync per commit: ~10x the writes per second; a crash of the bot loses nothing,
      // only a crash of the machine can lose the last moments of history.
      await store.query('PRAGMA journal_mode = WAL');
      await store.query('PRAGMA synchronous = NORMAL');
    },
    destroy: () => store.disconnect(),
  };
}

/** Builds the storage STORE_URL names; nothing is contacted yet, except that sqlite's folder is created. */
export async function createBackend(url: string): Promise<Backend> {
  const scheme = url.slice(0, url.indexOf('://') + 3);
  switch (scheme) {
    case 'memory://':
      return { store: new Map(), connect: async () => undefined, destroy: async () => undefined };
    case 'sqlite://':
      return sqliteBackend(url, url.slice(scheme.length));
    case 'redis://':
    case 'rediss://':
      return redisBackend(url);
    case 'postgres://':
    case 'postgresql://': {
      const { PostgresAdapter } = await import('./postgres-adapter.js');
      const store = new PostgresAdapter({ uri: url, table: 'mcp_bot_store', connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, max: 5 });
      claimWithPostgres(store);
      return { store, connect: async () => undefined, destroy: () => store.disconnect() };
    }
    default:
      throw new StoreUnavailableError(`STORE_URL ${describeStoreUrl(url)} names no supported store; use ${SCHEMES}`);
  }
}
