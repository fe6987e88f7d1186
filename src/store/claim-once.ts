import type KeyvPostgres from '@keyv/postgres';
import type KeyvRedis from '@keyv/redis';
import type KeyvSqlite from '@keyv/sqlite';
import type Keyv from 'keyv';

const CLAIMS_TABLE = 'mcp_bot_claims';
/** Claims of events never seen again are deleted this often, so the table does not grow forever. */
const PURGE_EVERY_MS = 60 * 60 * 1000;

type RedisSet = (key: string, value: string, options: { NX: true; PX: number }) => Promise<string | null>;

/** SET NX PX is one command, so Redis itself picks the single winner among every bot sharing it. */
async function claimInRedis(adapter: KeyvRedis<unknown>, key: string, ttlMs: number): Promise<boolean> {
  const client = adapter.client as unknown as { set: RedisSet };
  return (await client.set(key, '1', { NX: true, PX: ttlMs })) === 'OK';
}

interface ClaimsTable {
  create(): Promise<unknown>;
  /** Inserts the claim, or takes over an expired one, in one statement; a row comes back only when it did. */
  claim(key: string, ttlMs: number): Promise<unknown[]>;
  purge(): Promise<unknown>;
}

const postgresClaims = (adapter: KeyvPostgres): ClaimsTable => ({
  create: () => adapter.query(`CREATE TABLE IF NOT EXISTS ${CLAIMS_TABLE} (key TEXT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL)`),
  // The database clock decides expiry, so bots on machines with skewed clocks still agree.
  claim: (key, ttlMs) =>
    adapter.query(
      `INSERT INTO ${CLAIMS_TABLE} (key, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${CLAIMS_TABLE}.expires_at <= now()
       RETURNING key`,
      [key, ttlMs],
    ),
  purge: () => adapter.query(`DELETE FROM ${CLAIMS_TABLE} WHERE expires_at <= now()`),
});

const sqliteClaims = (adapter: KeyvSqlite): ClaimsTable => ({
  create: () => adapter.query(`CREATE TABLE IF NOT EXISTS ${CLAIMS_TABLE} (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`),
  claim: (key, ttlMs) => {
    const now = Date.now();
    return adapter.query(
      `INSERT INTO ${CLAIMS_TABLE} (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE ${CLAIMS_TABLE}.expires_at <= ?
       RETURNING key`,
      key,
      now + ttlMs,
      now,
    ) as Promise<unknown[]>;
  },
  purge: () => adapter.query(`DELETE FROM ${CLAIMS_TABLE} WHERE expires_at <= ?`, Date.now()),
});

const preparedTables = new WeakMap<object, { ready: Promise<unknown>; purgedAt: number }>();

/** The database picks the single winner, across processes sharing it too. */
async function claimInTable(adapter: object, table: ClaimsTable, key: string, ttlMs: number): Promise<boolean> {
  let prepared = preparedTables.get(adapter);
  if (!prepared) {
    // Bots starting together may race to create the table and one may fail; it is there either way.
    prepared = { ready: table.create().catch(() => table.purge()), purgedAt: 0 };
    preparedTables.set(adapter, prepared);
  }
  await prepared.ready.catch((error: unknown) => {
    preparedTables.delete(adapter);
    throw error;
  });
  const won = (await table.claim(key, ttlMs)).length === 1;
  if (Date.now() - prepared.purgedAt > PURGE_EVERY_MS) {
    prepared.purgedAt = Date.now();
    await table.purge();
  }
  return won;
}

type Claim = (key: string, ttlMs: number) => Promise<boolean>;

/** How each store claims a key, registered by the backend that built it (so no driver is loaded to ask). */
const claimsByStore = new WeakMap<object, Claim>();

/** Claims in this Redis store go through SET NX PX. */
export function claimWithRedis(store: KeyvRedis<unknown>): void {
  claimsByStore.set(store, (key, ttlMs) => claimInRedis(store, key, ttlMs));
}

/** Claims in this PostgreSQL store go through an upsert on the claims table. */
export function claimWithPostgres(store: KeyvPostgres): void {
  claimsByStore.set(store, (key, ttlMs) => claimInTable(store, postgresClaims(store), key, ttlMs));
}

/** Claims in this SQLite store go through an upsert on the claims table. */
export function claimWithSqlite(store: KeyvSqlite): void {
  claimsByStore.set(store, (key, ttlMs) => claimInTable(store, sqliteClaims(store), key, ttlMs));
}

const memoryClaims = new WeakMap<object, Map<string, number>>();

/** A memory store lives in one process, where a synchronous check-and-set is atomic. */
function claimInMemory(store: object, key: string, ttlMs: number): boolean {
  let claims = memoryClaims.get(store);
  if (!claims) memoryClaims.set(store, (claims = new Map()));
  const now = Date.now();
  if ((claims.get(key) ?? 0) > now) return false;
  claims.set(key, now + ttlMs);
  if (claims.size > 10_000) for (const [claimed, until] of claims) if (until <= now) claims.delete(claimed);
  return true;
}

/**
 * True for the first caller of `key` within `ttlMs`, false for every later one, across all bot
 * processes sharing the store: how a redelivered platform event gets answered once. Atomic on
 * every backend: Redis SET NX PX, an upsert on a claims table in PostgreSQL and SQLite (one
 * statement, so processes sharing the SQLite file agree too), a synchronous check in memory.
 */
export async function claimOnce(kv: Keyv, key: string, ttlMs: number): Promise<boolean> {
  const scoped = `${kv.namespace ?? ''}:claim:${key}`;
  // Redis and PostgreSQL take whole milliseconds, and at least one.
  const ms = Math.max(1, Math.ceil(ttlMs));
  const store = kv.store as object;
  const claim = claimsByStore.get(store);
  return claim ? claim(scoped, ms) : claimInMemory(store, scoped, ms);
}
