import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scriptedSequence, startFakeLlm, toolResultText, type FakeLlm, type LlmRequest } from '../fakes/fake-llm.js';

let llm: FakeLlm;
let client: OpenAI;
const ask = (content: string) => client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content }] });

beforeAll(async () => {
  llm = await startFakeLlm();
  client = new OpenAI({ baseURL: llm.url, apiKey: 'sk-fake', maxRetries: 0 });
});
afterAll(async () => {
  await llm?.close();
});
beforeEach(() => {
  llm.requests.clear();
});

describe('the fake LLM', () => {
  it('streams text and tool calls as SSE chunks that the SDK assembles, ending in [DONE]', async () => {
    llm.setScript(scriptedSequence('a streamed answer longer than one chunk', { nativeToolCalls: [{ name: 'add', arguments: { a: 1 } }] }));
    const stream = await client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage ?? undefined;
    }
    expect(text).toBe('a streamed answer longer than one chunk');
    expect(usage).toMatchObject({ total_tokens: 15 });

    const final = await client.chat.completions.stream({ model: 'fake-model', messages: [{ role: 'user', content: 'add' }], stream: true }).finalMessage();
    expect(final.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'add', arguments: '{"a":1}' } });

    const raw = await fetch(`${llm.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(raw.headers.get('content-type')).toBe('text/event-stream');
    expect(await raw.text()).toMatch(/\ndata: \[DONE\]\n\n$/);
  });

  it('lists one model', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['fake-model']);
  });

  it('answers a script that throws with a 500 carrying its message', async () => {
    llm.setScript(() => {
      throw new Error('script broke');
    });
    await expect(ask('hi')).rejects.toMatchObject({ status: 500, message: expect.stringContaining('script broke') });
  });

  it('repeats the last scripted answer once the sequence runs out', async () => {
    llm.setScript(scriptedSequence('one', 'two'));
    const answers = [];
    for (const question of ['a', 'b', 'c']) answers.push((await ask(question)).choices[0]?.message.content);
    expect(answers).toEqual(['one', 'two', 'two']);
    expect(llm.requests.items.map((request) => request.lastUserText)).toEqual(['a', 'b', 'c']);
  });

  it('answers a JSON-mode tool call as the JSON text the seed protocol expects', async () => {
    llm.setScript(() => ({ toolCall: { tool: 'echo', arguments: { text: 'x' } } }));
    expect(JSON.parse((await ask('hi')).choices[0]?.message.content ?? '')).toEqual({ tool: 'echo', arguments: { text: 'x' } });
  });

  it('records when each request arrived and was answered, so tests can prove overlap without sleeping', async () => {
    llm.setScript(() => ({ delayMs: 100, answer: 'slow' }));
    await Promise.all([ask('first'), ask('second')]);
    const [first, second] = llm.requests.items;
    expect(second!.receivedAt).toBeLessThan(first!.respondedAt!);
    expect(first!.respondedAt! - first!.receivedAt).toBeGreaterThanOrEqual(95);
  });

  it('closes without waiting for an answer still pending, dropping its connection', async () => {
    const slow = await startFakeLlm(() => ({ delayMs: 30_000, answer: 'never' }));
    const pending = fetch(`${slow.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) }).then(
      () => 'answered',
      () => 'connection dropped',
    );
    await slow.requests.waitFor(() => true);
    await slow.close();
    // Closed before the answer was due: the client saw its connection dropped and the fake never answered.
    expect(await pending).toBe('connection dropped');
    expect(slow.requests.items[0]?.respondedAt).toBeUndefined();
  });
});

describe('the fake LLM, strict as OpenAI', () => {
  const unanswered = { model: 'fake-model', messages: [{ role: 'user', content: 'add' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{}' } }] }] };
  const post = (fake: FakeLlm, body: unknown) => fetch(`${fake.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers what OpenAI refuses with its 400 error body, records the refusal and never asks the script', async () => {
    let asked = 0;
    llm.setScript(() => {
      asked += 1;
      return 'ok';
    });
    const response = await post(llm, unanswered);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: c1",
        type: 'invalid_request_error',
        param: 'messages.[1].role',
        code: null,
      },
    });
    expect(asked).toBe(0);
    expect(llm.requests.items[0]?.refusal?.param).toBe('messages.[1].role');
    expect(llm.refusals().at(-1)?.message).toMatch(/did not have response messages: c1$/);
  });

  it('reaches the SDK as a BadRequestError carrying OpenAI\'s message and param', async () => {
    const refused = client.chat.completions.create({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'files.read', parameters: { type: 'object' } } }],
    });
    await expect(refused).rejects.toMatchObject({ status: 400, param: 'tools[0].function.name', type: 'invalid_request_error' });
  });

  it('keeps its refusals when the requests are cleared, so a harness can check them at teardown', async () => {
    const fake = await startFakeLlm();
    try {
      await post(fake, unanswered);
      fake.requests.clear();
      expect(fake.refusals()).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('answers anything from its script when made lenient with strict: false', async () => {
    const lenient = await startFakeLlm(() => 'taken', { strict: false });
    try {
      const response = await post(lenient, unanswered);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'taken' } }] });
      expect(lenient.refusals()).toEqual([]);
    } finally {
      await lenient.close();
    }
  });
});

describe('toolResultText', () => {
  const request = (messages: LlmRequest['messages']): LlmRequest => ({ index: 0, receivedAt: 0, body: {}, messages, lastUserText: '' });

  it('reads JSON-mode feedback without its prefix, and a native tool message as is', () => {
    expect(toolResultText(request([{ role: 'user', content: 'add' }, { role: 'user', content: '[tool] Result of add:\n5' }]))).toBe('Result of add:\n5');
    expect(toolResultText(request([{ role: 'user', content: 'add' }, { role: 'tool', content: '5', tool_call_id: 'c1' }]))).toBe('5');
  });

  it('is undefined when the last message is what a person wrote', () => {
    expect(toolResultText(request([{ role: 'tool', content: '5' }, { role: 'user', content: 'and now?' }]))).toBeUndefined();
  });
});
