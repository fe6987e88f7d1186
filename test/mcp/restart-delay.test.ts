import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../src/mcp/server-connection.js';

describe('restart back-off', () => {
  it('starts at the initial delay, doubles, and stops at the cap', () => {
    const policy = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => restartDelay(attempt, policy))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
