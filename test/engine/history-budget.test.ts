import { describe, expect, it } from 'vitest';
import { trimHistory } from '../../src/engine/history-budget.js';
import { TOOL_FEEDBACK_PREFIX } from '../../src/engine/tool-protocol.js';
import type { ChatMessage } from '../../src/llm/types.js';

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const feedback = (content: string): ChatMessage => ({ role: 'user', content: `${TOOL_FEEDBACK_PREFIX}${content}` });

describe('trimHistory', () => {
  it('keeps everything within budget', () => {
    const messages = [user('hi'), assistant('hello')];
    expect(trimHistory(messages, { maxMessages: 10, maxChars: 1000 })).toEqual(messages);
  });

  it('drops the oldest whole turns first, never a tool result without its call', () => {
    const messages = [
      user('q1'),
      assistant('{"tool":"add"}'),
      feedback('5'),
      assistant('a1'),
      user('q2'),
      assistant('a2'),
    ];
    const kept = trimHistory(messages, { maxMessages: 3, maxChars: 1000 });
    expect(kept).toEqual([user('q2'), assistant('a2')]);
  });

  it('keeps the newest question and answer when that turn alone is over budget', () => {
    const messages = [user('q'), assistant('{"tool":"read"}'), feedback('x'.repeat(5000)), assistant('short answer')];
    expect(trimHistory(messages, { maxMessages: 40, maxChars: 1000 })).toEqual([user('q'), assistant('short answer')]);
  });

  it('keeps native tool messages with their turn', () => {
    const messages: ChatMessage[] = [
      user('q1'),
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '5' },
      assistant('a1'),
    ];
    expect(trimHistory(messages, { maxMessages: 4, maxChars: 1000 })).toEqual(messages);
    expect(trimHistory(messages, { maxMessages: 3, maxChars: 1000 })).toEqual([user('q1'), assistant('a1')]);
  });
});
