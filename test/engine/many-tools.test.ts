import { encode } from 'gpt-tokenizer/encoding/cl100k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogTool } from '../../src/mcp/types.js';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { offeredToolNames, toolSeekingScript, type SoughtTool } from '../fakes/tool-seeking-model.js';
import { manyToolsServerConfig } from '../fixtures/index.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';

/** All 200 tools of published servers, from one fixture process. */
const servers = [manyToolsServerConfig('many')];

function soughtBy(catalog: CatalogTool[], table: Record<string, string>) {
  return (question: string): SoughtTool | undefined => {
    const name = table[question];
    return catalog.find((tool) => tool.name === name);
  };
}

/** The request as the endpoint gets it, in tokens (cl100k): every message's text and tool calls, and the tools. */
function requestTokens(request: LlmRequest): number {
  const text = request.messages.map((message) => `${String(message.content ?? '')}${message.tool_calls ? JSON.stringify(message.tool_calls) : ''}`).join('\n');
  return encode(text).length + (request.body.tools ? encode(JSON.stringify(request.body.tools)).length : 0);
}

describe.each(['json', 'native'] as const)('a catalog of 200 tools (%s mode)', (toolMode) => {
  let harness: EngineHarness;
  let catalog: CatalogTool[];

  beforeAll(async () => {
    harness = await startEngineHarness({ servers, engine: { toolMode } });
    catalog = harness.pool.tools();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('offers at most TOOLS_MAX_PER_TURN tools that fit the question, find_tools among them, in a stable order', async () => {
    harness.llm.requests.clear();
    harness.llm.setScript(() => 'ok');
    await harness.ask('which pull requests are waiting for review in acme/web on GitHub?', 'offer');
    const offered = offeredToolNames(harness.llm.requests.items[0]!);
    expect(offered.length).toBeLessThanOrEqual(24);
    expect(offered).toContain('find_tools');
    expect(offered).toContain('list_pull_requests');
    const order = offered.map((name) => catalog.find((tool) => tool.name === name)?.server ?? '');
    expect(order).toEqual([...order].sort());
    if (toolMode === 'native') expect(harness.llm.requests.items[0]!.body.tools).toHaveLength(offered.length);
  });

  it('reaches a tool the ranking did not offer through find_tools, in the next step', async () => {
    harness.llm.requests.clear();
    const question = 'whats 1234 plus 8766';
    harness.llm.setScript(toolSeekingScript(soughtBy(catalog, { [question]: 'get-sum' }), toolMode === 'native'));
    const reply = await harness.ask(question, 'find');
    expect(offeredToolNames(harness.llm.requests.items[0]!)).not.toContain('get-sum');
    expect(reply.answer?.text).toMatch(/^done: (Result of get-sum:\n)?everything\/get-sum called with/);
    expect(harness.llm.requests.items).toHaveLength(3);
  });

  it('keeps offering a tool the thread has used, even when the next question does not match it', async () => {
    harness.llm.requests.clear();
    const first = 'whats 1234 plus 8766';
    harness.llm.setScript(toolSeekingScript(soughtBy(catalog, { [first]: 'get-sum' }), toolMode === 'native'));
    await harness.ask(first, 'keep');
    harness.llm.requests.clear();
    harness.llm.setScript(() => 'ok');
    await harness.ask('thanks! and what about the weather?', 'keep');
    expect(offeredToolNames(harness.llm.requests.items[0]!)).toContain('get-sum');
  });

  it('still lists every tool in /tools', async () => {
    const listed = (await harness.engine.listTools(testAsker())).flatMap((server) => server.tools);
    expect(listed).toHaveLength(200);
  });
});

describe('a small LLM_CONTEXT_TOKENS', () => {
  let harness: EngineHarness;
  const contextTokens = 3_000;
  const answerRoom = 750;

  beforeAll(async () => {
    harness = await startEngineHarness({ servers, engine: { toolMode: 'native', contextTokens } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('fits tools, history and the turn into the window, dropping the oldest turns first', async () => {
    harness.llm.setScript((request) => `noted ${request.lastUserText.slice(0, 20)} ${'and more words '.repeat(60)}`);
    for (let index = 0; index < 8; index += 1) await harness.ask(`remember fact number ${index}: ${'the sky is blue over the ocean. '.repeat(20)}`, 'small');
    const requests = harness.llm.requests.items;
    for (const request of requests) expect(requestTokens(request)).toBeLessThanOrEqual(contextTokens - answerRoom);
    const last = requests.at(-1)!;
    // The oldest turns went, the newest question is there.
    expect(last.messages.some((message) => String(message.content).includes('fact number 0'))).toBe(false);
    expect(last.lastUserText).toContain('fact number 7');
    expect(offeredToolNames(last).length).toBeGreaterThan(1);
  });

  it('cuts tools further when the question alone leaves no room for them', async () => {
    harness.llm.requests.clear();
    harness.llm.setScript(() => 'ok');
    await harness.ask(`summarise this: ${'lorem ipsum dolor sit amet '.repeat(250)}`, 'big-question');
    const [request] = harness.llm.requests.items;
    expect(requestTokens(request!)).toBeLessThanOrEqual(contextTokens - answerRoom);
    expect(offeredToolNames(request!)).toContain('find_tools');
    expect(offeredToolNames(request!).length).toBeLessThan(24);
  });

  it("keeps this turn's tool result and cuts tools instead, so the model need not call again", async () => {
    harness.llm.requests.clear();
    const long = 'lorem ipsum dolor sit amet '.repeat(120);
    harness.llm.setScript((request) => (request.index === 0 ? { nativeToolCalls: [{ name: 'echo', arguments: { message: long } }] } : 'read it'));
    await harness.ask('echo this long text back to me', 'keep-result');
    const [first, second] = harness.llm.requests.items;
    expect(toolResultText(second!)).toContain(long.trim());
    expect(requestTokens(second!)).toBeLessThanOrEqual(contextTokens - answerRoom);
    expect(offeredToolNames(second!).length).toBeLessThan(offeredToolNames(first!).length);
  });
});
