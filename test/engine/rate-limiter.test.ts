import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/engine/rate-limiter.js';

describe('RateLimiter', () => {
  it('allows the limit within a sliding minute, then again once the oldest is a minute old', () => {
    const limiter = new RateLimiter(2);
    expect(limiter.allow('ada', 0)).toBe(true);
    expect(limiter.allow('ada', 10_000)).toBe(true);
    expect(limiter.allow('ada', 20_000)).toBe(false);
    expect(limiter.allow('grace', 20_000)).toBe(true);
    expect(limiter.allow('ada', 60_001)).toBe(true);
    expect(limiter.allow('ada', 60_002)).toBe(false);
  });

  it('has no limit at 0', () => {
    const limiter = new RateLimiter(0);
    expect(Array.from({ length: 100 }, () => limiter.allow('ada')).every(Boolean)).toBe(true);
  });
});
