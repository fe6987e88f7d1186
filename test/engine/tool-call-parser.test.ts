import { describe, expect, it } from 'vitest';
import { parseToolCall } from '../../src/engine/tool-call-parser.js';

describe('parseToolCall', () => {
  it('reads a bare JSON tool call', () => {
    expect(parseToolCall('{"tool": "add", "arguments": {"a": 2, "b": 3}}')).toEqual({ kind: 'tool', tool: 'add', arguments: { a: 2, b: 3 } });
  });

  it('reads a tool call inside a json fence', () => {
    const reply = 'Sure.\n```json\n{"tool": "echo", "arguments": {"text": "hi"}}\n```';
    expect(parseToolCall(reply)).toEqual({ kind: 'tool', tool: 'echo', arguments: { text: 'hi' } });
  });

  it('reads the one tool call embedded in prose, braces inside strings included', () => {
    const reply = 'Let me check. {"tool": "echo", "arguments": {"text": "a } tricky { string"}} One moment.';
    expect(parseToolCall(reply)).toEqual({ kind: 'tool', tool: 'echo', arguments: { text: 'a } tricky { string' } });
  });

  it('treats missing arguments as none', () => {
    expect(parseToolCall('{"tool": "image"}')).toEqual({ kind: 'tool', tool: 'image', arguments: {} });
  });

  it('leaves plain prose and JSON that is not a tool call as text', () => {
    expect(parseToolCall('The answer is 5.')).toEqual({ kind: 'text', text: 'The answer is 5.' });
    expect(parseToolCall('{"name": "Ada", "age": 36}')).toEqual({ kind: 'text', text: '{"name": "Ada", "age": 36}' });
  });

  it('reports a broken tool call so the model can correct it', () => {
    const parsed = parseToolCall('{"tool": "add", "arguments": {"a": 2,, }');
    expect(parsed.kind).toBe('invalid');
  });

  it('reports arguments that are not an object', () => {
    expect(parseToolCall('{"tool": "add", "arguments": [1, 2]}')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('JSON object') });
  });

  it('reports two tool calls in one reply', () => {
    expect(parseToolCall('{"tool": "a", "arguments": {}} and {"tool": "b", "arguments": {}}')).toMatchObject({ kind: 'invalid' });
  });
});
