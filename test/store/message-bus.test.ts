import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type MessageBus, type Store } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';
import { Recorder } from '../helpers/recorder.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';

const open = (url: string, namespace: string) => openStore({ url, historyTtlMs: 60_000, namespace }, testLogger());

describe('message bus', () => {
  const opened: Store[] = [];
  afterEach(async () => {
    const [first] = opened;
    if (first?.bus) await forgetNamespace(first, REDIS_URL);
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  /** Two bot processes on one Redis namespace, each with its own store (and so its own connections). */
  async function twoProcesses(namespace = `test-${randomUUID()}`): Promise<[MessageBus, MessageBus]> {
    const a = await open(REDIS_URL, namespace);
    opened.push(a);
    const b = await open(REDIS_URL, namespace);
    opened.push(b);
    return [a.bus!, b.bus!];
  }

  it('is absent on memory and SQLite stores, which serve one process', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bus-test-'));
    try {
      for (const url of ['memory://', `sqlite://${path.join(dir, 'bot.sqlite')}`]) {
        const store = await open(url, `test-${randomUUID()}`);
        opened.push(store);
        expect(store.bus, url).toBeUndefined();
      }
    } finally {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!redisAvailable)('on Redis', () => {
    it('delivers a message published by one process to another listening on the channel', async () => {
      const [a, b] = await twoProcesses();
      expect(a.processId).not.toBe(b.processId);
      const heard = new Recorder<unknown>();
      await b.subscribe('greetings', (message) => heard.push(message));
      expect(await a.listeners('greetings')).toBe(1);
      expect(await a.publish('greetings', { text: 'hello', n: 1 })).toBe(1);
      expect(await heard.waitFor(() => true, { timeoutMs: 5_000 })).toEqual({ text: 'hello', n: 1 });
    });

    it('keeps namespaces apart: a bot under another namespace on the same Redis hears nothing', async () => {
      const [a] = await twoProcesses();
      const other = await open(REDIS_URL, `test-${randomUUID()}`);
      opened.push(other);
      await other.bus!.subscribe('greetings', () => undefined);
      expect(await a.publish('greetings', 'hello')).toBe(0);
    });

    it('answers a request through the serving process, on the asking process’s reply channel', async () => {
      const [a, b] = await twoProcesses();
      await b.serve('double', async (body) => (body as number) * 2);
      expect(await a.request('double', 21, 5_000)).toBe(42);
    });

    it('resolves a request nobody serves as unanswered at once, not after the wait', async () => {
      const [a] = await twoProcesses();
      const started = Date.now();
      expect(await a.request('nobody-here', 'hello?', 60_000)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('resolves a request whose server never replies as unanswered once the wait runs out', async () => {
      const [a, b] = await twoProcesses();
      await b.serve('silent', () => new Promise(() => undefined));
      expect(await a.request('silent', 'hello?', 200)).toBeUndefined();
    });

    it('stops counting a process as listening once its store is closed', async () => {
      const [a, b] = await twoProcesses();
      await b.subscribe('here', () => undefined);
      expect(await a.listeners('here')).toBe(1);
      await opened[1]!.close();
      expect(await a.listeners('here')).toBe(0);
      expect(b.processId).toBeTruthy();
    });
  });
});
