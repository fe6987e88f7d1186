import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateTier } from '../../../src/platforms/slack/rate-tier.js';

describe('a rate tier shared by the calls of a workspace', () => {
  afterEach(() => vi.useRealTimers());

  it('lets one call through per 60 s / allowance, telling the others how long to wait without taking anything', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const tier = new RateTier(100);
    expect([tier.take(), tier.take(), tier.take()]).toEqual([0, 600, 600]);
    vi.setSystemTime(1_000_000 + 450);
    expect(tier.take()).toBe(150);
    vi.setSystemTime(1_000_000 + 600);
    expect([tier.take(), tier.take()]).toEqual([0, 600]);
  });
});
