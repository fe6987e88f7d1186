import { describe, expect, it } from 'vitest';
import { contextWindow, fitContext } from '../../src/engine/context-fit.js';
import { TokenCounter } from '../../src/llm/token-count.js';
import type { ChatMessage } from '../../src/llm/types.js';

const words = (count: number) => 'word '.repeat(count);

describe('fitting a request into the context window', async () => {
  const counter = new TokenCounter();
  await counter.ready();
  const window = contextWindow(1_000);

  it('keeps room for the answer: a quarter of the window, at most 1,024 tokens', () => {
    expect(contextWindow(1_000).answerTokens).toBe(250);
    expect(contextWindow(100_000).answerTokens).toBe(1_024);
  });

  it('drops the oldest whole turns of history first', () => {
    const history: ChatMessage[] = [0, 1, 2, 3].flatMap((turn) => [
      { role: 'user', content: `question ${turn} ${words(100)}` },
      { role: 'assistant', content: `answer ${turn} ${words(100)}` },
    ]);
    const fitted = fitContext({ fixedTokens: 100, history, turn: [{ role: 'user', content: 'now?' }] }, window, counter)!;
    expect(fitted.history.map((message) => String(message.content).split(' ').slice(0, 2).join(' '))).toEqual(['question 2', 'answer 2', 'question 3', 'answer 3']);
    expect(fitted.tokens).toBeLessThanOrEqual(window.tokens - window.answerTokens);
  });

  it("replaces this turn's oldest tool results that do not fit only when asked to (no tools left to cut), telling the model", () => {
    const turn: ChatMessage[] = [
      { role: 'user', content: 'read both files' },
      { role: 'assistant', content: '{"tool": "read", "arguments": {}}' },
      { role: 'user', content: `[tool] Result of read:\n${words(600)}` },
      { role: 'user', content: `[tool] Result of read:\n${words(100)}` },
    ];
    expect(fitContext({ fixedTokens: 100, history: [], turn }, window, counter)).toBeUndefined();
    const fitted = fitContext({ fixedTokens: 100, history: [], turn }, window, counter, true)!;
    expect(fitted.turn[2]?.content).toMatch(/dropped: it does not fit the model context window/);
    expect(fitted.turn[3]).toBe(turn[3]);
  });

  it('gives up when the question alone does not fit, so tools can be cut', () => {
    expect(fitContext({ fixedTokens: 700, history: [], turn: [{ role: 'user', content: words(200) }] }, window, counter)).toBeUndefined();
  });
});
