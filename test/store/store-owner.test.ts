import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, ownStore, type Store } from '../../src/store/index.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { fakeLlmEnv, startBotProcess } from '../helpers/bot-process.js';
import { testLogger } from '../helpers/logger.js';
import { POSTGRES_URL, postgresAvailable, REDIS_URL, redisAvailable } from '../helpers/services.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'store-owner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (url: string) => openStore({ url, historyTtlMs: 60_000, namespace: `test-${randomUUID()}` }, testLogger());
/** A mark another process left: on another host, or on this one by a process that is still running (the test runner's parent). */
const markOf = (host: string, pid: number, agoMs = 0) => ({ host, pid, at: Date.now() - agoMs });

async function withStore<T>(url: string, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await open(url);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

function ownership(url: () => string) {
  it('refuses a store another live process holds, naming it and Redis', async () => {
    await withStore(url(), async (store) => {
      await store.kv.set('process:owner', markOf('other-host', 4242));
      await expect(ownStore(store, url(), testLogger())).rejects.toThrow(/another bot process \(pid 4242 on other-host\).*STORE_URL=redis/);
    });
  });

  it('takes over a mark that is stale, or left on this host by a process that is gone', async () => {
    await withStore(url(), async (store) => {
      await store.kv.set('process:owner', markOf('other-host', 4242, 60_000));
      const release = await ownStore(store, url(), testLogger());
      expect(await store.kv.get('process:owner')).toMatchObject({ host: hostname(), pid: process.pid });
      await release();
      expect(await store.kv.get('process:owner')).toBeUndefined();
      // No pid is this high on Linux (pid_max is at most 2^22).
      await store.kv.set('process:owner', markOf(hostname(), 2 ** 23));
      await (await ownStore(store, url(), testLogger()))();
    });
  });

  it('refuses while a live process of this host holds it', async () => {
    await withStore(url(), async (store) => {
      await store.kv.set('process:owner', markOf(hostname(), process.ppid));
      await expect(ownStore(store, url(), testLogger())).rejects.toThrow(`pid ${process.ppid}`);
    });
  });
}

describe('one bot process per SQLite store', () => ownership(() => `sqlite://${path.join(dir, 'owned.sqlite')}`));
describe.runIf(postgresAvailable)('one bot process per PostgreSQL store', () => ownership(() => POSTGRES_URL));

describe.runIf(redisAvailable)('a Redis store serves several processes', () => {
  it('is never marked', async () => {
    await withStore(REDIS_URL, async (store) => {
      await store.kv.set('process:owner', markOf('other-host', 4242));
      await (await ownStore(store, REDIS_URL, testLogger()))();
    });
  });
});

describe('a second bot process on the SQLite store of a running one', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(() => llm.close());

  it('stops at start-up with one line saying to use Redis, and the first keeps answering', async () => {
    const servers = path.join(dir, 'servers.json');
    await writeFile(servers, JSON.stringify({ mcpServers: {} }));
    const env = { ...fakeLlmEnv(llm), MCP_CONFIG: servers, STORE_URL: `sqlite://${path.join(dir, 'shared.sqlite')}` };
    const first = startBotProcess(env);
    try {
      await first.until(() => first.logs().find((line) => line.msg === 'bot ready'));
      const second = startBotProcess(env);
      expect(await second.exited).toBe(1);
      expect(second.output.stderr).toMatch(/^error: another bot process \(pid \d+ on .+\) uses the store sqlite:.*use Redis \(STORE_URL=redis:\/\/…\) for several\n$/m);
      first.child.stdin.write('still there?\n');
      await first.until(() => (first.output.stdout.includes('ok') ? true : undefined));
    } finally {
      first.child.stdin.end();
      await first.exited;
    }
  });
});
