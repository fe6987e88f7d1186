import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TurnEvent, TurnOutput } from '../../src/engine/index.js';
import { scriptedSequence } from '../fakes/fake-llm.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { capturingLogger } from '../helpers/logger.js';
import { RecordingReply } from '../helpers/recording-reply.js';

const LONG_ANSWER = ['The first ', 'part of a long ', 'answer, then ', 'the second part, ', 'and the end.'];

/** Events with the time each arrived, to tell streamed text from text that came with the end. */
class TimedOutput implements TurnOutput {
  readonly events: { event: TurnEvent; at: number }[] = [];
  async emit(event: TurnEvent): Promise<void> {
    this.events.push({ event, at: Date.now() });
  }
  at(type: TurnEvent['type']): number {
    return this.events.find(({ event }) => event.type === type)?.at ?? Number.NaN;
  }
}

describe('answers stream as the model writes them (fake model streaming over HTTP)', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness();
  });
  afterAll(() => harness.close());
  afterEach(() => harness.llm.requests.clear());

  it('passes text on while the model is still writing, and the deltas add up to the answer', async () => {
    harness.llm.setScript(() => ({ chunks: LONG_ANSWER, intervalMs: 150 }));
    const output = new TimedOutput();
    await harness.engine.handle({ threadKey: 'stream:long', asker: testAsker(), text: 'tell me' }, output);
    expect(harness.llm.requests.items[0]?.body.stream).toBe(true);
    // Five pieces 150 ms apart: the first words are out well before the last one was written.
    expect(output.at('answer') - output.at('text')).toBeGreaterThan(400);
    const streamed = output.events.map(({ event }) => (event.type === 'text' ? event.delta : '')).join('');
    expect(streamed).toBe(LONG_ANSWER.join(''));
    expect(output.events.at(-1)?.event).toEqual({ type: 'answer', text: LONG_ANSWER.join(''), images: [] });
  });

  it('never shows a JSON-mode tool call, even one that arrives in pieces, and streams the answer after it', async () => {
    harness.llm.setScript(scriptedSequence({ chunks: ['{"to', 'ol": "add", "argu', 'ments": {"a": 2, "b": 3}}'] }, { chunks: ['The sum ', 'is 5.'] }));
    const reply = await harness.ask('add 2 and 3', 'stream:json-call');
    expect(reply.answer?.text).toBe('The sum is 5.');
    expect(reply.streamedText()).toBe('The sum is 5.');
    expect(reply.events.map((event) => event.type)).toEqual(['tool-planned', 'tool-started', 'tool-finished', 'text', 'text', 'answer']);
  });

  it('never shows reasoning in <think>, however the tags are cut into pieces', async () => {
    harness.llm.setScript(() => ({ chunks: ['<thi', 'nk>the user wants', ' a greeting</th', 'ink>\n\nHello ', 'there!'] }));
    const reply = await harness.ask('hi', 'stream:think');
    expect(reply.streamedText()).toBe('Hello there!');
    expect(reply.answer?.text).toBe('Hello there!');
  });

  it('holds back a leaked end-of-turn token and a family tool-call marker arriving a few characters at a time', async () => {
    harness.llm.setScript(scriptedSequence({ chunks: ['Done', '.<|im', '_end|>'] }, { chunks: ['Checking. <tool', '_call>{"name": "echo", "arguments": {"text": "x"}}</tool_call>'] }, 'Echoed.'));
    const first = await harness.ask('one', 'stream:tokens');
    expect(first.streamedText()).toBe('Done.');
    expect(first.answer?.text).toBe('Done.');
    const second = await harness.ask('two', 'stream:marker');
    expect(second.streamedText()).toBe('Checking.\n\nEchoed.');
    expect(second.answer?.text).toBe('Checking.\n\nEchoed.');
  });

  it('streams a Markdown link and a code block that are not calls', async () => {
    const answer = '[The docs](https://example.com) say:\n```js\nconst a = { b: 1 };\n```\nThat is all.';
    harness.llm.setScript(() => ({ chunks: [answer.slice(0, 20), answer.slice(20, 45), answer.slice(45)] }));
    const reply = await harness.ask('docs?', 'stream:markdown');
    expect(reply.streamedText()).toBe(answer);
    expect(reply.events.filter((event) => event.type === 'text').length).toBeGreaterThan(1);
  });

  it('ends a stream that breaks mid-answer with what was shown and an error, never an answer that looks whole', async () => {
    harness.llm.setScript(() => ({ chunks: ['Half of ', 'the answer ', 'and then'], breakAfter: 2 }));
    const reply = await harness.ask('break', 'stream:broken');
    expect(reply.streamedText()).toBe('Half of the answer');
    expect(reply.answer).toBeUndefined();
    expect(reply.errorMessage).toBeTruthy();
    expect(reply.events.at(-1)?.type).toBe('error');
    expect(harness.llm.requests.items).toHaveLength(1);
  });

  it('asks again, whole, when a stream breaks before any text', async () => {
    harness.llm.setScript(scriptedSequence({ chunks: ['never sent'], breakAfter: 0 }, 'Whole answer.'));
    const reply = await harness.ask('retry', 'stream:broken-early');
    expect(reply.answer?.text).toBe('Whole answer.');
    expect(harness.llm.requests.items.map((request) => request.body.stream ?? false)).toEqual([true, false]);
  });
});

describe('native tool mode streams content and assembles tool calls from fragments', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ engine: { toolMode: 'native' } });
  });
  afterAll(() => harness.close());

  it('runs a call whose arguments came in pieces, then streams the answer', async () => {
    harness.llm.setScript(scriptedSequence({ nativeToolCalls: [{ name: 'add', arguments: { a: 20, b: 22 } }] }, { chunks: ['It is ', '42.'] }));
    const reply = await harness.ask('add', 'native:stream');
    expect(harness.llm.requests.items[1]?.messages.at(-1)).toMatchObject({ role: 'tool', content: '42' });
    expect(reply.streamedText()).toBe('It is 42.');
    expect(reply.answer?.text).toBe('It is 42.');
  });
});

describe('endpoints that do not stream', () => {
  it('falls back to whole answers when the endpoint refuses stream: true, and says so once', async () => {
    const { logger, logs } = capturingLogger();
    const harness = await startEngineHarness({ fakeLlm: { streaming: 'refused' }, logger });
    try {
      harness.llm.setScript(() => 'Whole.');
      const first = await harness.ask('one', 'refused:1');
      const second = await harness.ask('two', 'refused:2');
      expect([first.answer?.text, second.answer?.text]).toEqual(['Whole.', 'Whole.']);
      // Asked streamed once, refused, asked whole; from then on whole only.
      expect(harness.llm.requests.items.map((request) => request.body.stream ?? false)).toEqual([true, false, false]);
      expect(logs.items.filter((line) => line.msg.includes('refused to stream'))).toHaveLength(1);
    } finally {
      await harness.close();
    }
  });

  it('asks for whole answers with LLM_STREAM=false', async () => {
    const harness = await startEngineHarness({ llm: { stream: false } });
    try {
      const reply = new RecordingReply();
      await harness.engine.handle({ threadKey: 'off', asker: testAsker(), text: 'hi' }, reply);
      expect(reply.answer?.text).toBe('ok');
      expect(reply.events.some((event) => event.type === 'text')).toBe(false);
      expect(harness.llm.requests.items[0]?.body.stream).toBeUndefined();
    } finally {
      await harness.close();
    }
  });

  it('ends with an error line when the stream stalls longer than LLM_TIMEOUT_S between pieces', async () => {
    const harness = await startEngineHarness({ llm: { timeoutMs: 300, maxRetries: 0 } });
    try {
      harness.llm.setScript(() => ({ chunks: ['Started ', 'then nothing'], intervalMs: 5_000 }));
      const reply = await harness.ask('stall', 'stall');
      expect(reply.streamedText()).toBe('Started');
      expect(reply.errorMessage).toBeTruthy();
      expect(reply.answer).toBeUndefined();
    } finally {
      await harness.close();
    }
  });
});

describe('a model whose template opens its reasoning (only </think> in the reply), LLM_REPLIES_START_IN_REASONING=auto', () => {
  it('shows no reasoning, not even in the first reply, and streams what follows the block from then on', async () => {
    const harness = await startEngineHarness({ engine: { repliesStartInReasoning: 'auto' } });
    try {
      harness.llm.setScript((request) => ({ chunks: ['Okay, the user wants ', 'a greeting.\n', `</think>\n\nHello number ${request.index + 1}!`] }));
      const first = await harness.ask('hi', 'reasoning:auto');
      expect(first.streamedText()).toBe('');
      expect(first.answer?.text).toBe('Hello number 1!');
      const second = await harness.ask('again', 'reasoning:auto');
      expect(second.streamedText()).toBe('Hello number 2!');
      expect(second.answer?.text).toBe('Hello number 2!');
    } finally {
      await harness.close();
    }
  });

  it('streams from the second reply on for a model that does not reason in its replies', async () => {
    const harness = await startEngineHarness({ engine: { repliesStartInReasoning: 'auto' } });
    try {
      harness.llm.setScript(() => ({ chunks: ['Plain ', 'answer.'] }));
      expect((await harness.ask('one', 'reasoning:none')).streamedText()).toBe('');
      expect((await harness.ask('two', 'reasoning:none')).streamedText()).toBe('Plain answer.');
    } finally {
      await harness.close();
    }
  });
});
