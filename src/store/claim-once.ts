import KeyvPostgres from '@keyv/postgres';
import KeyvRedis from '@keyv/redis';
import type Keyv from 'keyv';

const CLAIMS_TABLE = 'mcp_bot_claims';
const localClaims = new Map<string, number>();

async function claimInRedis(adapter: KeyvRedis<unknown>, key: string, ttlMs: number): Promise<boolean> {
  const client = await adapter.getClient();
  const result = await (client as { set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null> }).set(key, '1', { NX: true, PX: ttlMs });
  return result === 'OK';
}

const preparedTables = new WeakSet<KeyvPostgres>();

async function claimInPostgres(adapter: KeyvPostgres, key: string, ttlMs: number): Promise<boolean> {
  if (!preparedTables.has(adapter)) {
    await adapter.query(`CREATE TABLE IF NOT EXISTS ${CLAIMS_TABLE} (key TEXT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL)`);
    preparedTables.add(adapter);
  }
  // An expired claim is taken over in the same statement, so exactly one caller wins either way.
  const rows = await adapter.query(
    `INSERT INTO ${CLAIMS_TABLE} (key, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${CLAIMS_TABLE}.expires_at < now()
     RETURNING key`,
    [key, ttlMs],
  );
  return rows.length === 1;
}

/** SQLite and memory stores serve one bot process, so a process-wide map is as atomic as they need. */
function claimLocally(scope: string, ttlMs: number): boolean {
  const now = Date.now();
  const expires = localClaims.get(scope);
  if (expires !== undefined && expires > now) return false;
  localClaims.set(scope, now + ttlMs);
  if (localClaims.size > 10_000) {
    for (const [claimed, until] of localClaims) if (until <= now) localClaims.delete(claimed);
  }
  return true;
}

/**
 * True for the first caller only, within `ttlMs`, across every bot process sharing the store:
 * the way a redelivered platform event is answered once.
 */
export async function claimOnce(kv: Keyv, key: string, ttlMs: number): Promise<boolean> {
  const scoped = `${kv.namespace ?? 'keyv'}:claim:${key}`;
  const adapter: unknown = kv.store;
  if (adapter instanceof KeyvRedis) return claimInRedis(adapter, scoped, ttlMs);
  if (adapter instanceof KeyvPostgres) return claimInPostgres(adapter, scoped, ttlMs);
  return claimLocally(scoped, ttlMs);
}
