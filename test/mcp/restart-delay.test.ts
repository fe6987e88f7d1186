import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../src/mcp/server-connection.js';

describe('restart back-off', () => {
  it('starts at the first delay, doubles, and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => restartDelay(attempt, 1_000, 30_000))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect([1, 2, 3, 4, 5].map((attempt) => restartDelay(attempt, 30_000, 300_000))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000]);
  });
});
