import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../src/engine/rate-limiter.js';
import { openStore, type Store } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';

describe('RateLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows the limit within a person’s minute, counting each person apart, then again once the minute is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const limiter = new RateLimiter(2, testLogger());
    expect(await limiter.allow('ada')).toBe(true);
    vi.setSystemTime(10_000);
    expect(await limiter.allow('ada')).toBe(true);
    vi.setSystemTime(20_000);
    expect(await limiter.allow('ada')).toBe(false);
    expect(await limiter.allow('grace')).toBe(true);
    vi.setSystemTime(60_001);
    expect(await limiter.allow('ada')).toBe(true);
    expect(await limiter.allow('ada')).toBe(true);
    expect(await limiter.allow('ada')).toBe(false);
  });

  it('has no limit at 0', async () => {
    const limiter = new RateLimiter(0, testLogger());
    const answers = await Promise.all(Array.from({ length: 100 }, () => limiter.allow('ada')));
    expect(answers.every(Boolean)).toBe(true);
  });

  describe.skipIf(!redisAvailable)('on a Redis store shared by several processes', () => {
    const opened: Store[] = [];
    afterEach(async () => {
      if (opened[0]) await forgetNamespace(opened[0], REDIS_URL);
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('counts a person’s messages across every process: the limit holds for them together', async () => {
      const namespace = `test-${randomUUID()}`;
      for (let index = 0; index < 2; index += 1) opened.push(await openStore({ url: REDIS_URL, historyTtlMs: 60_000, namespace }, testLogger()));
      const [a, b] = opened.map((store) => new RateLimiter(3, testLogger(), store.kv)) as [RateLimiter, RateLimiter];
      expect(await a.allow('ada')).toBe(true);
      expect(await b.allow('ada')).toBe(true);
      expect(await a.allow('ada')).toBe(true);
      expect(await b.allow('ada')).toBe(false);
      expect(await a.allow('ada')).toBe(false);
      expect(await b.allow('grace')).toBe(true);
    });

    it('keeps bots under different namespaces on one Redis apart', async () => {
      for (let index = 0; index < 2; index += 1) opened.push(await openStore({ url: REDIS_URL, historyTtlMs: 60_000, namespace: `test-${randomUUID()}` }, testLogger()));
      const [a, b] = opened.map((store) => new RateLimiter(1, testLogger(), store.kv)) as [RateLimiter, RateLimiter];
      expect(await a.allow('ada')).toBe(true);
      expect(await b.allow('ada')).toBe(true);
      await forgetNamespace(opened[1]!, REDIS_URL);
    });
  });
});
