import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.js';

/** The results fed back since the person's question, in order: "Result of add:\n5" → "add=5". */
function resultsFedBack(request: LlmRequest): string[] {
  const question = request.messages.map((message) => message.role).lastIndexOf('assistant');
  return request.messages
    .slice(question === -1 ? 0 : question + 1)
    .map((message) => String(message.content ?? ''))
    .filter((content) => content.startsWith('[tool] Result of '))
    .map((content) => content.replace('[tool] Result of ', '').replace(':\n', '='));
}

/** Answers `first` to the question, then "answered: <results>" once results come back. */
function callThenAnswer(first: string) {
  return (request: LlmRequest) => (toolResultText(request) === undefined ? first : `answered: ${resultsFedBack(request).join(', ')}`);
}

describe('tool-call dialects through the engine (JSON mode)', () => {
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

  it.each([
    ['an OpenAI-style object', '{"name": "add", "arguments": {"a": 2, "b": 3}}', 'add=5'],
    ['Hermes / Qwen markup', '<tool_call>\n{"name": "add", "arguments": {"a": 9, "b": 9}}\n</tool_call>', 'add=18'],
    ['Mistral markup', '[TOOL_CALLS] [{"name": "add", "arguments": {"a": 4, "b": 4}}]', 'add=8'],
  ])('runs a call written as %s instead of showing it', async (_dialect, reply, result) => {
    harness.llm.setScript(callThenAnswer(reply));
    const answer = await harness.ask('add please', `dialect-${result}`);
    expect(answer.answer?.text).toBe(`answered: ${result}`);
    expect(answer.progressEvents.map((event) => event.tool)).toEqual(['add']);
  });

  it('acts only on the call after the reasoning, never on one inside it', async () => {
    const reply = '<think>\nmaybe {"tool": "mutate", "arguments": {"action": "delete", "id": "x"}}\n</think>\n{"tool": "add", "arguments": {"a": 1, "b": 1}}';
    harness.llm.setScript(callThenAnswer(reply));
    const answer = await harness.ask('one plus one', 'reasoning');
    expect(answer.answer?.text).toBe('answered: add=2');
    expect(answer.progressEvents.map((event) => event.tool)).toEqual(['add']);
    // The history the model sees again holds what it said, without its reasoning.
    const said = harness.llm.requests.items[1]?.messages.find((message) => message.role === 'assistant');
    expect(said?.content).toBe('{"tool": "add", "arguments": {"a": 1, "b": 1}}');
  });

  it('never shows reasoning in an answer', async () => {
    harness.llm.setScript(() => '<think>The user is Ada; secret plan.</think>\nHello, Ada!');
    const answer = await harness.ask('hi', 'reasoning-answer');
    expect(answer.answer?.text).toBe('Hello, Ada!');
  });

  it('runs two calls of one reply in order and feeds back each result', async () => {
    harness.llm.setScript(callThenAnswer('{"tool": "add", "arguments": {"a": 1, "b": 2}}\n{"tool": "add", "arguments": {"a": 3, "b": 4}}'));
    const answer = await harness.ask('two sums', 'two-calls');
    expect(answer.answer?.text).toBe('answered: add=3, add=7');
    expect(answer.progressEvents.map((event) => event.step)).toEqual([1, 2]);
  });

  it('keeps a JSON object in prose as the answer when its name is no tool', async () => {
    harness.llm.setScript(() => 'Here is a user: {"name": "Alice"}');
    const answer = await harness.ask('show a user', 'prose-json');
    expect(answer.answer?.text).toBe('Here is a user: {"name": "Alice"}');
    expect(harness.llm.requests.items).toHaveLength(1);
  });

  it.each([
    ['an unknown tool in markup', '<tool_call>\n{"name": "no_such_tool", "arguments": {}}\n</tool_call>', 'There is no tool named "no_such_tool"'],
    ['markup it cannot read', '<tool_call>\n{"name": \n</tool_call>', 'the tool call markup could not be read'],
    ['arguments the schema refuses', '[TOOL_CALLS] [{"name": "add", "arguments": {"a": "two"}}]', 'do not match its input schema'],
  ])('feeds %s back to the model and never shows it', async (_case, reply, feedback) => {
    harness.llm.setScript((request) => (request.index === 0 ? reply : 'I could not do that.'));
    const answer = await harness.ask('try', `unusable-${feedback.length}`);
    expect(answer.answer?.text).toBe('I could not do that.');
    expect(toolResultText(harness.llm.requests.items[1]!)).toContain(feedback);
  });

  it('points a call by a shared tool name at the <server>_<tool> names', async () => {
    const shared = await startEngineHarness({ servers: [fixtureServerConfig('alpha'), fixtureServerConfig('beta')] });
    try {
      shared.llm.setScript((request) => (request.index === 0 ? '{"tool": "add", "arguments": {"a": 1, "b": 1}}' : 'ok'));
      await shared.ask('add', 'shared-name');
      expect(toolResultText(shared.llm.requests.items[1]!)).toContain('several servers have one, called alpha_add, beta_add');
    } finally {
      await shared.close();
    }
  });

  it('tells the person when the model only thought and said nothing', async () => {
    harness.llm.setScript(() => '<think>I keep thinking and run out of tokens');
    const answer = await harness.ask('think hard', 'only-reasoning');
    expect(answer.answer?.text).toMatch(/empty answer/);
  });
});
