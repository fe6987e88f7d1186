import type KeyvRedis from '@keyv/redis';
import type Keyv from 'keyv';

/**
 * Fencing tokens for one thread's history where several processes share the store: each turn takes a
 * token larger than every earlier one as it starts, and its write lands only while its token is the
 * newest. A turn whose process stalled past its lease, while another took the thread over, then
 * cannot overwrite the newer history (Kleppmann, "How to do distributed locking", 2016).
 */
export interface HistoryFencing {
  /** The next token of the thread (1, 2, …). */
  next(threadKey: string): Promise<number>;
  /** Writes `value` under the Keyv key `key` for `ttlMs` when `token` is still the thread's newest; false otherwise. */
  write(threadKey: string, key: string, value: unknown, ttlMs: number, token: number): Promise<boolean>;
}

/** Tokens outlive any turn; a thread quiet for this long starts again from 1, which no turn still holds. */
const FENCE_TTL_MS = 24 * 60 * 60 * 1000;

// Compare and set in one step: Redis runs a script alone, so no write can slip between the check and the set.
const FENCED_SET = `
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

interface ScriptClient {
  multi(): { incr(key: string): { pExpire(key: string, ms: number): { exec(): Promise<unknown[]> } } };
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Fencing on the Redis behind `kv`, with keys and values exactly as Keyv reads them back. */
export function redisHistoryFencing(kv: Keyv, adapter: KeyvRedis<unknown>): HistoryFencing {
  const client = adapter.client as unknown as ScriptClient;
  const fenceKey = (threadKey: string) => adapter.createKeyPrefix(kv._getKeyPrefix(`fence:${threadKey}`), adapter.namespace);
  return {
    async next(threadKey) {
      const key = fenceKey(threadKey);
      // One round trip per turn: the token and its expiry together.
      const [token] = await client.multi().incr(key).pExpire(key, FENCE_TTL_MS).exec();
      return Number(token);
    },
    async write(threadKey, key, value, ttlMs, token) {
      const stored = await kv.serializeData({ value, expires: Date.now() + ttlMs });
      const redisKey = adapter.createKeyPrefix(kv._getKeyPrefix(key), adapter.namespace);
      const written = await client.eval(FENCED_SET, { keys: [fenceKey(threadKey), redisKey], arguments: [String(token), String(stored), String(Math.max(1, Math.ceil(ttlMs)))] });
      return written === 1;
    },
  };
}
