import { afterEach, describe, expect, it } from 'vitest';
import { toolResultText, type LlmRequest, type ScriptedAnswer } from '../fakes/fake-llm.js';
import { quirkyServerConfig } from '../fixtures/index.js';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.js';

/** A server whose `mutate` has `oneOf` at the root, whose `lookup` is a pydantic-style root `$ref`, and whose `explain` has a description over 1,024 characters. */
const servers = [quirkyServerConfig('quirky', ['model-refused-schemas'])];

function callThenEcho(first: ScriptedAnswer) {
  return (request: LlmRequest): ScriptedAnswer => toolResultText(request) ?? first;
}

describe('tools whose schemas a model endpoint refuses as they are', () => {
  let harness: EngineHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('are offered in native mode in a form OpenAI accepts, and their calls reach the server as its schema expects', async () => {
    harness = await startEngineHarness({ servers, engine: { toolMode: 'native' } });
    harness.llm.setScript(callThenEcho({ nativeToolCalls: [{ name: 'mutate', arguments: { action: 'create', name: 'report' } }, { name: 'lookup', arguments: { word: 'tide' } }] }));
    const reply = await harness.ask('create a report and look up tide', 'mutate-and-lookup');
    // The strict fake answers 400 to every request if a tool's parameters are refused; the turn would fail.
    expect(harness.llm.requests.items.every((request) => request.refusal === undefined)).toBe(true);
    expect(reply.answer?.text).toBe('tide: a word');
    const offered = harness.llm.requests.items[0]!.body.tools as { function: { name: string; parameters: Record<string, unknown> } }[];
    const mutate = offered.find((tool) => tool.function.name === 'mutate')!.function.parameters;
    const explain = offered.find((tool) => tool.function.name === 'explain') as { function: { description: string } } | undefined;
    expect(explain?.function.description).toHaveLength(1024);
    expect(mutate).toMatchObject({ type: 'object', properties: { action: { enum: ['create', 'delete'] }, name: {}, id: {} }, required: ['action'] });
    expect(harness.llm.requests.items[1]!.messages.filter((message) => message.role === 'tool').map((message) => message.content)).toEqual(['created report', 'tide: a word']);
  });

  it('are described in JSON mode with every argument and which ones go together', async () => {
    harness = await startEngineHarness({ servers });
    harness.llm.setScript(() => 'ok');
    await harness.ask('hello', 'describe');
    const system = String(harness.llm.requests.items[0]!.messages[0]!.content);
    expect(system).toContain('- mutate: Creates or deletes an item.\n  Arguments (one of these sets: 1) action = "create", name; 2) action = "delete", id):');
    expect(system).toMatch(/- word \[string\] \(required\)/);
  });

  it('have a call that mixes the variants refused with the server schema as the reason', async () => {
    harness = await startEngineHarness({ servers, engine: { toolMode: 'native' } });
    harness.llm.setScript((request) => (request.index === 0 ? { nativeToolCalls: [{ name: 'mutate', arguments: { action: 'delete', name: 'report' } }] } : 'gave up'));
    await harness.ask('delete it', 'mixed-variants');
    expect(toolResultText(harness.llm.requests.items[1]!)).toContain('do not match its input schema');
  });
});
