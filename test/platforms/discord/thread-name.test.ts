import { describe, expect, it } from 'vitest';
import { threadName } from '../../../src/platforms/discord/thread-name.js';

describe('thread names', () => {
  it('are the question itself when it is short, on one line', () => {
    expect(threadName('what is\nthe  weather?', 'fallback')).toBe('what is the weather?');
  });

  it("are cut on a word boundary within Discord's 100 characters", () => {
    const name = threadName(`please ${'summarise '.repeat(20)}this`, 'fallback');
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/summarise…$/);
  });

  it('fall back when the question has no words', () => {
    expect(threadName('   ', 'Question from Ada')).toBe('Question from Ada');
  });
});
