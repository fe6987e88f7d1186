import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolResultText, type LlmRequest, type ScriptedAnswer } from '../fakes/fake-llm.js';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.js';

/** The assistant message with tool calls that the bot sent back with the results. */
function echoedToolCalls(request: LlmRequest): { id: string; type: string; function: { name: string; arguments: unknown } }[] {
  const assistant = request.messages.filter((message) => message.role === 'assistant').at(-1);
  return (assistant?.tool_calls as never) ?? [];
}

/** Sends `first` for the question, then answers with the results it got back. */
function thenAnswer(first: ScriptedAnswer) {
  return (request: LlmRequest): ScriptedAnswer => {
    if (toolResultText(request) === undefined) return first;
    const results = request.messages.filter((message) => message.role === 'tool').map((message) => message.content);
    return `results: ${results.join(', ')}`;
  };
}

const addCall = (args: unknown, extra: Record<string, unknown> = {}) => ({ id: 'call_1', type: 'function', function: { name: 'add', arguments: args }, ...extra });

describe('native tool calls as endpoints really send them', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { toolMode: 'native' } });
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness.llm.requests.clear();
  });

  it('runs a call whose arguments arrive as a JSON object, and sends them back as a string (llama.cpp, Ollama)', async () => {
    harness.llm.setScript(thenAnswer({ rawMessage: { content: null, tool_calls: [addCall({ a: 2, b: 2 })] }, finishReason: 'tool_calls' }));
    const reply = await harness.ask('2+2', 'object-arguments');
    expect(reply.answer?.text).toBe('results: 4');
    expect(echoedToolCalls(harness.llm.requests.items[1]!)[0]?.function.arguments).toBe('{"a":2,"b":2}');
  });

  it.each([
    ['without ids', [addCall('{"a":1,"b":1}', { id: undefined }), addCall('{"a":2,"b":2}', { id: '' })], 'results: 2, 4'],
    ['with one id twice', [addCall('{"a":1,"b":2}'), addCall('{"a":3,"b":4}')], 'results: 3, 7'],
    ['without a type', [{ id: 'x1', function: { name: 'add', arguments: '{"a":5,"b":5}' } }], 'results: 10'],
    ['with arguments null', [{ id: 'x2', type: 'function', function: { name: 'image', arguments: null } }], 'results: a tiny image\n[image/png image, 70 bytes; it will be shown to the user]'],
    ['with arguments encoded twice', [addCall(JSON.stringify('{"a":6,"b":1}'))], 'results: 7'],
  ])('answers calls %s, every id unique and answered', async (_case, toolCalls, answer) => {
    harness.llm.setScript(thenAnswer({ rawMessage: { content: null, tool_calls: toolCalls } }));
    const reply = await harness.ask('calls', `ids-${_case}`);
    expect(reply.answer?.text).toBe(answer);
    const ids = echoedToolCalls(harness.llm.requests.items[1]!).map((call) => call.id);
    expect(new Set(ids).size).toBe(toolCalls.length);
    expect(ids.every((id) => id.length > 0)).toBe(true);
  });

  it('runs a legacy function_call', async () => {
    harness.llm.setScript(thenAnswer({ rawMessage: { content: null, function_call: { name: 'add', arguments: '{"a":8,"b":8}' } }, finishReason: 'function_call' }));
    expect((await harness.ask('legacy', 'function-call')).answer?.text).toBe('results: 16');
  });

  it('runs a call that arrives in content, in a family markup, as if the endpoint had parsed it', async () => {
    harness.llm.setScript(thenAnswer('<tool_call>\n{"name": "add", "arguments": {"a": 20, "b": 22}}\n</tool_call>'));
    const reply = await harness.ask('content call', 'content-call');
    expect(reply.answer?.text).toBe('results: 42');
    const [echoed] = echoedToolCalls(harness.llm.requests.items[1]!);
    expect(echoed).toMatchObject({ type: 'function', function: { name: 'add', arguments: '{"a":20,"b":22}' } });
  });

  it('feeds back a call in content it cannot read, without breaking the tool-message rules', async () => {
    harness.llm.setScript((request) => (request.index === 0 ? '[TOOL_CALLS] [{"name": ' : 'Sorry, that failed.'));
    const reply = await harness.ask('broken content call', 'content-broken');
    expect(reply.answer?.text).toBe('Sorry, that failed.');
    expect(toolResultText(harness.llm.requests.items[1]!)).toContain('could not be read');
  });

  it('reads an answer sent as content parts, and ignores reasoning fields and blocks', async () => {
    harness.llm.setScript(() => ({
      rawMessage: { content: [{ type: 'text', text: '<think>private</think>Hello ' }, { type: 'text', text: 'there.' }], reasoning_content: 'also private' },
    }));
    expect((await harness.ask('hi', 'content-parts')).answer?.text).toBe('Hello there.');
  });

  it('says the model ran out of room when a reply is cut off with nothing to show', async () => {
    harness.llm.setScript(() => ({ rawMessage: { content: '<think>long thoughts' }, finishReason: 'length' }));
    expect((await harness.ask('long', 'length')).answer?.text).toMatch(/ran out of room/);
  });
});
