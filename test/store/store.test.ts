import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisReconnectDelay } from '../../src/store/backends.js';
import { claimOnce, openStore, StoreUnavailableError, type OpenStoreSettings, type Store } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';
import { POSTGRES_URL, REDIS_URL, postgresAvailable, redisAvailable } from '../helpers/services.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'store-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each suite writes under a namespace of its own, so parallel runs on one Redis or PostgreSQL never meet. */
const freshNamespace = () => `test-${randomUUID()}`;
const open = (url: string, overrides: Partial<OpenStoreSettings> = {}) => openStore({ url, historyTtlMs: 60_000, namespace: freshNamespace(), ...overrides }, testLogger());

/** Keyv checks expiry on read against Date.now(), so moving only the clock expires values without waiting. */
async function withClockAt<T>(ms: number, run: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: ms });
  try {
    return await run();
  } finally {
    vi.useRealTimers();
  }
}

/** Redis and PostgreSQL expire claims on their own clocks: retry until the claim is free again, within a second. */
async function claimAfterExpiry(store: Store, key: string): Promise<boolean> {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    if (await claimOnce(store.kv, key, 60_000)) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

function storeContract(url: () => string): void {
  let store: Store;
  const thread = (name: string) => `test:${randomUUID()}:${name}`;
  const hello = [
    { role: 'user' as const, content: 'hi' },
    { role: 'assistant' as const, content: 'hello' },
  ];

  beforeAll(async () => {
    store = await open(url(), { historyTtlMs: 1_000 });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('starts a thread with empty history, then keeps what was saved', async () => {
    const key = thread('a');
    expect(await store.history.get(key)).toEqual([]);
    await store.history.set(key, hello);
    expect(await store.history.get(key)).toEqual(hello);
  });

  it('keeps threads apart and forgets only the deleted one', async () => {
    const [a, b] = [thread('a'), thread('b')];
    await store.history.set(a, [{ role: 'user', content: 'in a' }]);
    await store.history.set(b, [{ role: 'user', content: 'in b' }]);
    await store.history.delete(a);
    expect(await store.history.get(a)).toEqual([]);
    expect(await store.history.get(b)).toEqual([{ role: 'user', content: 'in b' }]);
  });

  it('keeps history apart from other features’ keys and from other namespaces', async () => {
    const key = thread('shared');
    await store.history.set(key, hello);
    await store.kv.set(key, 'a dedupe marker');
    expect(await store.history.get(key)).toEqual(hello);
    expect(await store.kv.get(key)).toBe('a dedupe marker');

    const otherBot = await open(url());
    try {
      expect(await otherBot.history.get(key)).toEqual([]);
      await otherBot.history.set(key, [{ role: 'user', content: 'other bot' }]);
      expect(await store.history.get(key)).toEqual(hello);
    } finally {
      await otherBot.close();
    }
  });

  it('forgets a thread once its time-to-live has passed, and restarts the time-to-live on every save', async () => {
    const key = thread('ttl');
    const start = Date.now();
    await withClockAt(start, () => store.history.set(key, hello));
    await withClockAt(start + 800, () => store.history.set(key, [...hello, { role: 'user', content: 'still here' }]));
    expect(await withClockAt(start + 1_600, () => store.history.get(key))).toHaveLength(3);
    expect(await withClockAt(start + 1_900, () => store.history.get(key))).toEqual([]);
  });

  it('lets only the first of concurrent claimants through, per key and per namespace', async () => {
    const key = `event:${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 5 }, () => claimOnce(store.kv, key, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await claimOnce(store.kv, key, 60_000)).toBe(false);
    expect(await claimOnce(store.kv, `event:${randomUUID()}`, 60_000)).toBe(true);

    const otherBot = await open(url());
    try {
      expect(await claimOnce(otherBot.kv, key, 60_000)).toBe(true);
    } finally {
      await otherBot.close();
    }
  });

  it('lets a key be claimed again once its claim has expired', async () => {
    const key = `event:${randomUUID()}`;
    expect(await claimOnce(store.kv, key, 20)).toBe(true);
    expect(await claimAfterExpiry(store, key)).toBe(true);
    expect(await claimOnce(store.kv, key, 60_000)).toBe(false);
  });

  it('answers ping while open, and false once closed; closing twice is harmless', async () => {
    const own = await open(url());
    expect(await own.ping()).toBe(true);
    await own.close();
    await own.close();
    expect(await own.ping()).toBe(false);
  });
}

describe('store contract: memory', () => storeContract(() => 'memory://'));
describe('store contract: sqlite', () => storeContract(() => `sqlite://${path.join(dir, 'contract.sqlite')}`));
// When a service is absent, test/helpers/services.ts prints why these suites do not run.
describe.runIf(redisAvailable)('store contract: redis', () => storeContract(() => REDIS_URL));
describe.runIf(postgresAvailable)('store contract: postgres', () => storeContract(() => POSTGRES_URL));

describe('sqlite store', () => {
  it('creates its folder on first run and keeps history and claims across a restart', async () => {
    const url = `sqlite://${path.join(dir, 'nested', 'deeper', 'bot.sqlite')}`;
    const namespace = freshNamespace();
    const first = await open(url, { namespace });
    await first.history.set('console:local', [{ role: 'user', content: 'remember me' }]);
    expect(await claimOnce(first.kv, 'event:1', 60_000)).toBe(true);
    await first.close();

    const second = await open(url, { namespace });
    try {
      expect(await second.history.get('console:local')).toEqual([{ role: 'user', content: 'remember me' }]);
      expect(await claimOnce(second.kv, 'event:1', 60_000)).toBe(false);
    } finally {
      await second.close();
    }
  });

  it('reads a relative path from the working directory', async () => {
    const cwd = path.join(dir, 'cwd');
    await mkdir(cwd);
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const store = await open('sqlite://./data/bot.sqlite');
      await store.close();
    } finally {
      process.chdir(previous);
    }
    expect((await stat(path.join(cwd, 'data', 'bot.sqlite'))).isFile()).toBe(true);
  });
});

describe.runIf(postgresAvailable)('postgres store', () => {
  it('keeps working when another store on the same database closes', async () => {
    const [first, second] = await Promise.all([open(POSTGRES_URL), open(POSTGRES_URL)]);
    try {
      await second.close();
      await first.history.set('t', [{ role: 'user', content: 'still connected' }]);
      expect(await first.history.get('t')).toEqual([{ role: 'user', content: 'still connected' }]);
    } finally {
      await first.close();
    }
  });
});

describe('a store that cannot be used', () => {
  /** Each caller checks the reason in the message: the failure itself, not openStore's deadline, ended the wait. */
  async function failure(url: string): Promise<StoreUnavailableError> {
    const error = await open(url).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    return error as StoreUnavailableError;
  }

  it('stops start-up for a Redis that refuses connections, naming it without the password', async () => {
    const error = await failure('redis://bot:hunter2@127.0.0.1:1');
    expect(error.message).toMatch(/^store redis:\/\/127\.0\.0\.1:1 cannot be used: .*ECONNREFUSED.* \(check STORE_URL\)$/);
    expect(error.message).not.toContain('hunter2');
  });

  it('stops start-up for a PostgreSQL that refuses connections, naming it without the password', async () => {
    const error = await failure('postgresql://bot:hunter2@127.0.0.1:1/test?password=hunter2');
    expect(error.message).toMatch(/^store postgresql:\/\/127\.0\.0\.1:1\/test cannot be used: .*ECONNREFUSED.* \(check STORE_URL\)$/);
    expect(error.message).not.toContain('hunter2');
  });

  it('tries a Redis connect that timed out once more at start-up, ends a refused one at once, and backs off once it had connected', () => {
    const timedOut = new Error('Connection timeout');
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    expect(redisReconnectDelay(false, 0, timedOut, true)).toBe(100);
    expect(redisReconnectDelay(false, 1, timedOut, true)).toBe(timedOut);
    expect(redisReconnectDelay(false, 0, refused, false)).toBe(refused);
    expect([0, 1, 5, 10].map((retries) => redisReconnectDelay(true, retries, refused, false))).toEqual([200, 400, 6_400, 10_000]);
  });

  it('names STORE_URL and the schemes it takes for an unknown one', async () => {
    expect((await failure('mongodb://127.0.0.1/x')).message).toBe(
      'STORE_URL mongodb://127.0.0.1/x names no supported store; use sqlite://<path>, redis://, rediss://, postgresql://, postgres:// or memory://',
    );
  });

  it('says when the sqlite folder cannot be created', async () => {
    const blocker = path.join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    expect((await failure(`sqlite://${blocker}/bot.sqlite`)).message).toMatch(/cannot create the folder for the database \(E[A-Z]+\)/);
  });

  it('says when the sqlite file cannot be opened', async () => {
    expect((await failure(`sqlite://${dir}`)).message).toMatch(/^store sqlite:\/\/.* cannot be used: SQLITE_CANTOPEN/);
  });

  it('gives up on servers that accept connections and never answer, and leaves nothing keeping the process alive', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const urls = [`redis://127.0.0.1:${port}`, `postgresql://bot:hunter2@127.0.0.1:${port}/test`, 'redis://127.0.0.1:1', 'postgresql://127.0.0.1:1/test'];
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./open-store-child.ts', import.meta.url)), ...urls], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: Record<string, unknown>[] = [];
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      });
      // The child is never killed: if anything kept it alive, this wait is what would fail.
      const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));

      expect(exitCode).toBe(0);
      const outcomes = lines.filter((line) => !line.done);
      expect(outcomes).toHaveLength(urls.length);
      for (const line of outcomes) {
        expect(line).toMatchObject({ name: 'StoreUnavailableError', message: expect.stringMatching(/\(check STORE_URL\)$/) });
        expect(line.message).not.toContain('hunter2');
      }
      // Silent servers are given up on by a time-out (the driver's own or openStore's deadline); closed ports by the refusal.
      const reasonOf = (url: string) => String(outcomes.find((line) => line.url === url)?.message);
      for (const url of urls.slice(0, 2)) expect(reasonOf(url)).toMatch(/timeout|took longer than/i);
      for (const url of urls.slice(2)) expect(reasonOf(url)).toContain('ECONNREFUSED');
      // Once every open has failed, no timer of theirs is left to keep the process running.
      expect(lines.at(-1)).toEqual({ done: true, timers: 0 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
