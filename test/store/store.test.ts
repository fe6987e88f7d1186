import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimOnce, openStore, StoreUnavailableError, type Store } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';
import { POSTGRES_URL, REDIS_URL, postgresAvailable, redisAvailable } from '../helpers/services.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'store-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const backends: { name: string; available: boolean; url: () => string }[] = [
  { name: 'memory', available: true, url: () => 'memory://' },
  { name: 'sqlite', available: true, url: () => `sqlite://${path.join(dir, 'contract.sqlite')}` },
  { name: 'redis', available: redisAvailable, url: () => REDIS_URL },
  { name: 'postgres', available: postgresAvailable, url: () => POSTGRES_URL },
];

for (const backend of backends) {
  describe.runIf(backend.available)(`store contract: ${backend.name}`, () => {
    let store: Store;
    let shortLived: Store;
    // Each run uses fresh keys, so runs sharing one Redis or Postgres never see each other.
    const thread = (name: string) => `test:${randomUUID()}:${name}`;

    beforeAll(async () => {
      store = await openStore({ url: backend.url(), historyTtlMs: 60_000 }, testLogger());
      shortLived = await openStore({ url: backend.url(), historyTtlMs: 1 }, testLogger());
    });
    afterAll(async () => {
      await shortLived?.close();
      await store?.close();
    });

    it('starts a thread with empty history, then keeps what was saved', async () => {
      const key = thread('a');
      expect(await store.history.get(key)).toEqual([]);
      await store.history.set(key, [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ]);
      expect(await store.history.get(key)).toEqual([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ]);
    });

    it('keeps threads apart and forgets one on delete', async () => {
      const [a, b] = [thread('a'), thread('b')];
      await store.history.set(a, [{ role: 'user', content: 'in a' }]);
      await store.history.set(b, [{ role: 'user', content: 'in b' }]);
      await store.history.delete(a);
      expect(await store.history.get(a)).toEqual([]);
      expect(await store.history.get(b)).toEqual([{ role: 'user', content: 'in b' }]);
    });

    it('lets a thread expire after its time-to-live', async () => {
      const key = thread('ttl');
      await shortLived.history.set(key, [{ role: 'user', content: 'gone soon' }]);
      const writtenAt = Date.now();
      // Expiry is checked on read; wait on the clock, bounded, not on a fixed sleep.
      while (Date.now() - writtenAt < 5) await new Promise((resolve) => setImmediate(resolve));
      expect(await shortLived.history.get(key)).toEqual([]);
    });

    it('lets only the first claimant of a key through', async () => {
      const key = `event:${randomUUID()}`;
      const results = await Promise.all([claimOnce(store.kv, key, 60_000), claimOnce(store.kv, key, 60_000), claimOnce(store.kv, key, 60_000)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await claimOnce(store.kv, `event:${randomUUID()}`, 60_000)).toBe(true);
    });

    it('answers ping', async () => {
      expect(await store.ping()).toBe(true);
    });
  });
}

describe.runIf(redisAvailable)('claims across two bot processes sharing Redis', () => {
  it('lets one of two stores claim an event', async () => {
    const [first, second] = await Promise.all([openStore({ url: REDIS_URL, historyTtlMs: 60_000 }, testLogger()), openStore({ url: REDIS_URL, historyTtlMs: 60_000 }, testLogger())]);
    try {
      const key = `event:${randomUUID()}`;
      const results = await Promise.all([claimOnce(first.kv, key, 60_000), claimOnce(second.kv, key, 60_000)]);
      expect(results.sort()).toEqual([false, true]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('sqlite store', () => {
  it('creates its folder on first run and keeps history across a restart', async () => {
    const url = `sqlite://${path.join(dir, 'nested', 'deeper', 'bot.sqlite')}`;
    const first = await openStore({ url, historyTtlMs: 60_000 }, testLogger());
    await first.history.set('console:local', [{ role: 'user', content: 'remember me' }]);
    await first.close();
    const second = await openStore({ url, historyTtlMs: 60_000 }, testLogger());
    try {
      expect(await second.history.get('console:local')).toEqual([{ role: 'user', content: 'remember me' }]);
    } finally {
      await second.close();
    }
  });
});

describe('a store that cannot be used', () => {
  async function failure(url: string): Promise<StoreUnavailableError> {
    const started = Date.now();
    const error = await openStore({ url, historyTtlMs: 1000 }, testLogger()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(8_000);
    return error as StoreUnavailableError;
  }

  it('stops start-up quickly for an unreachable Redis, without the password', async () => {
    const error = await failure('redis://user:hunter2@127.0.0.1:1');
    expect(error.message).toMatch(/^store redis:\/\/127\.0\.0\.1:1 cannot be used: .+ \(check STORE_URL\)$/);
    expect(error.message).not.toContain('hunter2');
  });

  it('stops start-up quickly for an unreachable PostgreSQL, without the password', async () => {
    const error = await failure('postgresql://bot:hunter2@127.0.0.1:1/test');
    expect(error.message).toContain('postgresql://127.0.0.1:1/test');
    expect(error.message).not.toContain('hunter2');
  });

  it('names the allowed schemes for an unknown one', async () => {
    expect((await failure('mongodb://127.0.0.1/x')).message).toMatch(/STORE_URL must start with sqlite:\/\//);
  });

  it('says when the sqlite folder cannot be created', async () => {
    const blocker = path.join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    expect((await failure(`sqlite://${blocker}/bot.sqlite`)).message).toMatch(/cannot create the folder for the database \(E[A-Z]+\)/);
  });
});
