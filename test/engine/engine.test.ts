import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LlmRequest, ScriptedAnswer } from '../fakes/fake-llm.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

const lastContent = (request: LlmRequest): string => String(request.messages.at(-1)?.content ?? '');
const isFeedback = (request: LlmRequest): boolean => request.messages.at(-1)?.role === 'user' && lastContent(request).startsWith('[tool] ');

describe('conversation engine (JSON mode, fixture MCP server, fake LLM)', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness.llm.requests.clear();
  });

  it('answers plain text without calling a tool, with the catalog in the system prompt', async () => {
    harness.llm.setScript(() => 'Hello, Ada.');
    const reply = await harness.ask('hi', 'plain');
    expect(reply.answer?.text).toBe('Hello, Ada.');
    const [request] = harness.llm.requests.items;
    const system = String(request?.messages[0]?.content);
    expect(system).toContain('- add:');
    expect(system).toMatch(/a \[number\] \(required\)/);
    expect(reply.progressEvents).toEqual([]);
  });

  it('runs one tool call and answers with its result', async () => {
    harness.llm.setScript((request) => (isFeedback(request) ? `The sum is ${lastContent(request).split('\n')[1]}.` : { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } }));
    const reply = await harness.ask('What is 2+3?', 'one-tool');
    expect(reply.answer?.text).toBe('The sum is 5.');
    expect(reply.progressEvents).toEqual([{ type: 'tool-started', tool: 'add', server: 'fixture', step: 1 }]);
  });

  it('chains three tool calls before answering', async () => {
    const calls: ScriptedAnswer[] = [
      { toolCall: { tool: 'add', arguments: { a: 1, b: 1 } } },
      { toolCall: { tool: 'add', arguments: { a: 2, b: 2 } } },
      { toolCall: { tool: 'echo', arguments: { text: 'third' } } },
    ];
    harness.llm.setScript((request) => calls[request.index] ?? `done: ${lastContent(request).split('\n')[1]}`);
    const reply = await harness.ask('chain', 'chain');
    expect(reply.answer?.text).toBe('done: third');
    expect(reply.progressEvents.map((event) => event.step)).toEqual([1, 2, 3]);
    expect(harness.llm.requests.items.slice(1, 3).map((request) => lastContent(request).split('\n')[1])).toEqual(['2', '4']);
  });

  it('accepts a tool call in a json fence and one embedded in prose', async () => {
    const answers = ['Let me check.\n```json\n{"tool": "echo", "arguments": {"text": "fenced"}}\n```', 'Now: {"tool": "echo", "arguments": {"text": "embedded"}} ok?', 'finished'];
    harness.llm.setScript((request) => answers[request.index] ?? 'finished');
    const reply = await harness.ask('go', 'fences');
    // What the model said before each call streamed as it came, and stays above the answer; the calls never show.
    expect(reply.answer?.text).toBe('Let me check.\n\nNow:\n\nfinished');
    expect(reply.streamedText()).toBe('Let me check.\n\nNow:\n\nfinished');
    const feedback = harness.llm.requests.items.slice(1).map(lastContent);
    expect(feedback[0]).toContain('fenced');
    expect(feedback[1]).toContain('embedded');
  });

  it('feeds invalid JSON, an unknown tool and schema-invalid arguments back to the model', async () => {
    const answers = ['{"tool": "add", "arguments": {"a": 1,, }', { toolCall: { tool: 'no_such_tool', arguments: {} } }, { toolCall: { tool: 'add', arguments: { a: 'two', b: 3 } } }, 'gave up'];
    harness.llm.setScript((request) => answers[request.index] ?? 'gave up');
    const reply = await harness.ask('break things', 'invalid');
    expect(reply.answer?.text).toBe('gave up');
    const [badJson, unknown, badArgs] = harness.llm.requests.items.slice(1).map(lastContent);
    expect(badJson).toContain('not valid JSON');
    expect(unknown).toContain('There is no tool named "no_such_tool"');
    expect(unknown).toContain('add');
    expect(badArgs).toContain('do not match its input schema');
    expect(reply.progressEvents).toEqual([]);
  });

  it('asks for a final answer without tools at the step cap', async () => {
    const capped = await startEngineHarness({ engine: { maxToolSteps: 2 } });
    try {
      capped.llm.setScript((request) => (lastContent(request).includes('limit for this question is reached') ? 'best effort answer' : { toolCall: { tool: 'echo', arguments: { text: 'again' } } }));
      const reply = await capped.ask('loop forever');
      expect(reply.answer?.text).toBe('best effort answer');
      expect(reply.progressEvents).toHaveLength(2);
      expect(capped.llm.requests.items).toHaveLength(3);
    } finally {
      await capped.close();
    }
  });

  it('never shows raw tool-call JSON when the model ignores the cap', async () => {
    const capped = await startEngineHarness({ engine: { maxToolSteps: 1 } });
    try {
      capped.llm.setScript(() => ({ toolCall: { tool: 'echo', arguments: { text: 'again' } } }));
      const reply = await capped.ask('loop forever');
      expect(reply.answer?.text).toMatch(/stopped after 1 tool call/);
      expect(reply.answer?.text).not.toContain('"tool"');
    } finally {
      await capped.close();
    }
  });

  it('gives a tool error to the model, which answers', async () => {
    harness.llm.setScript((request) => (isFeedback(request) ? `Sorry: ${lastContent(request)}` : { toolCall: { tool: 'fail', arguments: { message: 'disk on fire' } } }));
    const reply = await harness.ask('try the failing tool', 'tool-error');
    expect(reply.answer?.text).toContain('tool "fail" on server "fixture" failed');
    expect(reply.answer?.text).toContain('disk on fire');
  });

  it('returns images from tools with the answer', async () => {
    harness.llm.setScript((request) => (isFeedback(request) ? 'Here is the image.' : { toolCall: { tool: 'image', arguments: {} } }));
    const reply = await harness.ask('show me an image', 'image');
    expect(reply.answer?.images).toHaveLength(1);
    expect(reply.answer?.images[0]?.mimeType).toBe('image/png');
    expect(reply.answer?.images[0]?.data.subarray(1, 4).toString()).toBe('PNG');
  });

  it('remembers the thread and keeps threads apart', async () => {
    harness.llm.setScript((request) => `seen ${request.messages.filter((message) => message.role === 'user').length} user messages`);
    await harness.ask('first', 'memory-a');
    const second = await harness.ask('second', 'memory-a');
    const other = await harness.ask('elsewhere', 'memory-b');
    expect(second.answer?.text).toBe('seen 2 user messages');
    expect(other.answer?.text).toBe('seen 1 user messages');
    await harness.engine.reset('memory-a');
    expect((await harness.ask('after reset', 'memory-a')).answer?.text).toBe('seen 1 user messages');
  });

  it('offers a tool added at run time in the next turn, not a stale catalog', async () => {
    harness.llm.setScript(() => 'noted');
    await harness.ask('before', 'catalog');
    expect(String(harness.llm.requests.items.at(-1)?.messages[0]?.content)).not.toContain('- shout_late:');
    const changed = new Promise<void>((resolve) => harness.pool.onToolsChanged(() => harness.pool.tools().some((tool) => tool.name === 'shout_late') && resolve()));
    await harness.pool.callTool('add_tool', { name: 'shout_late' });
    await changed;
    await harness.ask('after', 'catalog');
    expect(String(harness.llm.requests.items.at(-1)?.messages[0]?.content)).toContain('- shout_late: Added at run time');
  });

  it('retries a 429 and answers', async () => {
    harness.llm.setScript((request) => (request.index === 0 ? { status: 429, headers: { 'retry-after': '0' }, body: '{"error":{"message":"slow down"}}' } : 'after the retry'));
    const reply = await harness.ask('hello', 'rate-limited');
    expect(reply.answer?.text).toBe('after the retry');
    expect(harness.llm.requests.items).toHaveLength(2);
  });

  it('tells the user clearly when the LLM keeps failing, and keeps no half turn', async () => {
    harness.llm.setScript(() => ({ status: 500, body: '{"error":{"message":"boom"}}' }));
    const reply = await harness.ask('hello', 'llm-down');
    expect(reply.answer).toBeUndefined();
    expect(reply.errorMessage).toMatch(/language model/i);
    expect(await harness.store.history.get('llm-down')).toEqual([]);
  });

  it('runs one thread in order while other threads overlap it', async () => {
    harness.llm.setScript((request) => ({ delayMs: 150, answer: `answer to ${request.lastUserText}` }));
    const replies = new Map<string, RecordingReply>();
    const send = (threadKey: string, text: string) => {
      const reply = new RecordingReply();
      replies.set(text, reply);
      return harness.engine.handle({ threadKey, asker: testAsker('u'), text }, reply);
    };
    await Promise.all([send('queue-a', 'a1'), send('queue-a', 'a2'), send('queue-a', 'a3'), send('queue-b', 'b1'), send('queue-c', 'c1')]);

    const byText = (text: string) => harness.llm.requests.items.find((request) => request.lastUserText === text)!;
    const [a1, a2, a3, b1, c1] = ['a1', 'a2', 'a3', 'b1', 'c1'].map(byText);
    // Same thread: each request starts only after the previous answer.
    expect(a2!.receivedAt).toBeGreaterThanOrEqual(a1!.respondedAt!);
    expect(a3!.receivedAt).toBeGreaterThanOrEqual(a2!.respondedAt!);
    // Other threads: they ran while a1 was being answered.
    expect(b1!.receivedAt).toBeLessThan(a1!.respondedAt!);
    expect(c1!.receivedAt).toBeLessThan(a1!.respondedAt!);
    expect(replies.get('a3')?.answer?.text).toBe('answer to a3');
  });
});

describe('conversation engine limits', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { maxToolResultChars: 50, maxInputChars: 100, rateLimitPerMinute: 3 } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('cuts a long tool result and tells the model', async () => {
    harness.llm.setScript((request) => (isFeedback(request) ? 'got it' : { toolCall: { tool: 'echo', arguments: { text: 'x'.repeat(500) } } }));
    await harness.ask('echo a lot', 'limits:cut');
    const feedback = lastContent(harness.llm.requests.items.at(-1)!);
    expect(feedback).toContain(`${'x'.repeat(50)}\n[The result was cut here: it had 500 characters and only the first 50 are shown.]`);
    expect(feedback).not.toContain('x'.repeat(51));
  });

  it('refuses a message over the input limit without asking the model', async () => {
    harness.llm.requests.clear();
    const reply = await harness.ask('y'.repeat(101), 'limits:long');
    expect(reply.errorMessage).toBe('Your message is too long for me (101 characters; the limit is 100). Please shorten it or split it up.');
    expect(harness.llm.requests.items).toHaveLength(0);
  });

  it('answers a person at most the limit per minute, then asks them to wait', async () => {
    harness.llm.setScript(() => 'fine');
    harness.llm.requests.clear();
    const replies: RecordingReply[] = [];
    for (let index = 0; index < 4; index += 1) {
      const reply = new RecordingReply();
      await harness.engine.handle({ threadKey: 'limits:rate', asker: testAsker('eager'), text: `question ${index}` }, reply);
      replies.push(reply);
    }
    expect(replies.slice(0, 3).map((reply) => reply.answer?.text)).toEqual(['fine', 'fine', 'fine']);
    expect(replies[3]?.errorMessage).toMatch(/faster than I can keep up/);
    expect(harness.llm.requests.items).toHaveLength(3);
    // Someone else is not affected.
    expect((await harness.ask('me too', 'limits:other')).answer?.text).toBe('fine');
  });
});

describe('conversation engine history budget', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { historyMaxMessages: 4, historyMaxChars: 200 } });
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => {
    harness.llm.requests.clear();
  });
  const contents = (messages: { content?: unknown }[]) => messages.map((message) => message.content);

  it('keeps only the newest whole turns that fit the message budget, and the model reads no more', async () => {
    harness.llm.setScript((request) => `answer to ${request.lastUserText}`);
    for (const question of ['first', 'second', 'third']) await harness.ask(question, 'budget:count');
    expect(contents(await harness.store.history.get('budget:count'))).toEqual(['second', 'answer to second', 'third', 'answer to third']);

    await harness.ask('fourth', 'budget:count');
    const prompt = harness.llm.requests.items.at(-1)!.messages.slice(1);
    expect(contents(prompt)).toEqual(['second', 'answer to second', 'third', 'answer to third', 'fourth']);
  });

  it('drops an older turn that would take the history over the character budget', async () => {
    const long = 'x'.repeat(250);
    harness.llm.setScript((request) => (request.lastUserText === 'tell me a lot' ? long : 'short'));
    await harness.ask('tell me a lot', 'budget:chars');
    await harness.ask('and briefly?', 'budget:chars');
    expect(contents(await harness.store.history.get('budget:chars'))).toEqual(['and briefly?', 'short']);

    await harness.ask('anything else?', 'budget:chars');
    expect(JSON.stringify(harness.llm.requests.items.at(-1)!.messages)).not.toContain(long);
  });
});

describe('conversation engine (native tool mode)', () => {
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

  it('passes the catalog as tools and answers from tool messages', async () => {
    harness.llm.setScript((request) =>
      request.messages.at(-1)?.role === 'tool' ? `sum is ${String(request.messages.at(-1)?.content)}` : { nativeToolCalls: [{ name: 'add', arguments: { a: 20, b: 22 } }] },
    );
    const reply = await harness.ask('add 20 and 22');
    expect(reply.answer?.text).toBe('sum is 42');
    const first = harness.llm.requests.items[0];
    expect((first?.body.tools as { function: { name: string } }[]).map((tool) => tool.function.name)).toContain('add');
  });

  it('answers two calls of one reply with a tool message for each id, which OpenAI takes, in this turn and the next', async () => {
    const toolMessages = (request: LlmRequest) => request.messages.filter((message) => message.role === 'tool');
    harness.llm.setScript((request) =>
      request.messages.at(-1)?.role === 'tool'
        ? `results: ${toolMessages(request).map((message) => String(message.content)).join(' and ')}`
        : { nativeToolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }, { name: 'echo', arguments: { text: 'hi' } }] },
    );
    const reply = await harness.ask('add and echo', 'native:pair');
    expect(reply.errorMessage).toBeUndefined();
    expect(reply.answer?.text).toBe('results: 3 and hi');

    const [asked, answered] = harness.llm.requests.items;
    const calls = answered!.messages.find((message) => message.role === 'assistant')?.tool_calls as { id: string }[];
    expect(toolMessages(answered!).map((message) => message.tool_call_id)).toEqual(calls.map((call) => call.id));
    expect(asked!.refusal).toBeUndefined();

    harness.llm.setScript(() => 'nothing more');
    const next = await harness.ask('thanks', 'native:pair');
    expect(next.answer?.text).toBe('nothing more');
    expect(harness.llm.refusals()).toEqual([]);
  });

  it('offers every tool with parameters OpenAI takes (an object at the root)', async () => {
    harness.llm.setScript(() => 'no tool needed');
    const reply = await harness.ask('hello', 'native:schemas');
    expect(reply.errorMessage).toBeUndefined();
    expect(reply.answer?.text).toBe('no tool needed');
    const tools = harness.llm.requests.items[0]?.body.tools as { function: { parameters?: { type?: string } } }[];
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.map((tool) => tool.function.parameters?.type ?? 'object')).toEqual(tools.map(() => 'object'));
  });
});

describe('the engine harness', () => {
  it('closes everything even when one part fails to close, then reports that failure', async () => {
    const harness = await startEngineHarness();
    const closePool = harness.pool.close.bind(harness.pool);
    harness.pool.close = () => Promise.reject(new Error('pool would not close'));
    try {
      const closing = harness.close();
      await expect(closing).rejects.toBeInstanceOf(AggregateError);
      await expect(closing).rejects.toMatchObject({ errors: [expect.objectContaining({ message: 'pool would not close' })] });
      await expect(fetch(`${harness.llm.url}/models`)).rejects.toThrow();
    } finally {
      await closePool();
    }
  });
});
