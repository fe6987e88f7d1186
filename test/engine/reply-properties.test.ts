/**
 * Generated model replies through the real engine and both tool protocols. The model and the tool
 * server are in-process stand-ins here (ten thousand replies over HTTP would take minutes); the
 * dialects themselves go over HTTP in tool-dialects and native-endpoint-shapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConversationEngine } from '../../src/engine/index.js';
import type { ChatModel, LlmReply } from '../../src/llm/types.js';
import type { CatalogTool, ToolOutcome, ToolProvider } from '../../src/mcp/types.js';
import { TEST_ENGINE_SETTINGS, testAsker } from '../helpers/engine-harness.js';
import { testLogger } from '../helpers/logger.js';
import { RecordingReply } from '../helpers/recording-reply.js';

const CATALOG: CatalogTool[] = [
  { name: 'add', server: 's', toolName: 'add', description: 'Adds.', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } },
  { name: 'echo', server: 's', toolName: 'echo', description: 'Echoes.', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
];
const FOLLOW_UP = 'FOLLOW-UP ANSWER';

/** What a person must never see: tool-call markup, reasoning markup, a tool call in the bot's own protocol. */
const NEVER_SHOWN = [
  '<tool_call>', '[TOOL_CALLS]', '<|python_tag|>', '<｜tool▁call▁begin｜>', '<|tool_call_begin|>', '<function=', '<tool_calls>',
  '<|START_ACTION|>', '<minimax:tool_call>', '<|channel|>', '<think>', '</think>', '[THINK]', '<|START_THINKING|>', '{"tool":',
];

const toolName = fc.constantFrom('add', 'echo', 'mutate', 'functions.add', '', 'add;rm -rf', 'ünïcode');
const args = fc.oneof(fc.jsonValue(), fc.record({ a: fc.integer(), b: fc.integer() }), fc.record({ text: fc.string() }));
const prose = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('Here is a user: {"name": "Alice"}', 'See [1].', '```python\nprint(1)\n```'));
const jsonCall = fc.record({ tool: toolName, arguments: args }).map((call) => JSON.stringify(call));
const nameCall = fc.record({ name: toolName, arguments: args }).map((call) => JSON.stringify(call));
const payload = fc.oneof(nameCall, jsonCall, fc.json(), fc.string({ maxLength: 30 }));
const markup = fc.oneof(
  payload.map((body) => `<tool_call>\n${body}\n</tool_call>`),
  payload.map((body) => `<tool_call>${body}`),
  payload.map((body) => `[TOOL_CALLS] [${body}]`),
  fc.tuple(toolName, payload).map(([name, body]) => `[TOOL_CALLS]${name}[ARGS]${body}`),
  payload.map((body) => `<|python_tag|>${body}<|eom_id|>`),
  fc.tuple(toolName, payload).map(([name, body]) => `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>${name}<｜tool▁sep｜>${body}<｜tool▁call▁end｜><｜tool▁calls▁end｜>`),
  fc.tuple(toolName, payload).map(([name, body]) => `<|tool_calls_section_begin|><|tool_call_begin|>functions.${name}:0<|tool_call_argument_begin|>${body}<|tool_call_end|>`),
  fc.tuple(toolName, payload).map(([name, body]) => `<|channel|>commentary to=functions.${name} <|constrain|>json<|message|>${body}<|call|>`),
  fc.tuple(toolName, fc.string({ maxLength: 10 })).map(([name, value]) => `<function=${name}>\n<parameter=a>\n${value}\n</parameter>\n</function>`),
  fc.tuple(toolName, fc.string({ maxLength: 10 })).map(([name, value]) => `<minimax:tool_call><invoke name="${name}"><parameter name="text">${value}</parameter></invoke></minimax:tool_call>`),
  payload.map((body) => `<|START_ACTION|>${body}<|END_ACTION|>`),
  payload.map((body) => `<tool_calls>${body}</tool_calls>`),
  payload.map((body) => `\`\`\`json\n${body}\n\`\`\``),
  fc.tuple(toolName, fc.integer()).map(([name, value]) => `[${name}(a=${value}, b=2)]`),
);
const fragment = fc.oneof(
  prose,
  markup,
  jsonCall,
  nameCall,
  jsonCall.chain((call) => fc.nat(call.length).map((cut) => call.slice(0, cut))),
  fc.tuple(prose, fc.oneof(markup, jsonCall)).map(([thought, inside]) => `<think>${thought}${inside}</think>`),
  fc.oneof(markup, jsonCall).map((inside) => `<think>${inside}`),
  fc.oneof(markup, jsonCall).map((inside) => `[THINK]${inside}[/THINK]`),
  prose.map((thought) => `${thought}</think>`),
  fc.constantFrom('<|im_end|>', '<|eot_id|>', '<|channel|>final<|message|>', '{', '}', '[', ']', '"', '\\'),
);
const reply = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.array(fragment, { maxLength: 5 }), fc.constantFrom('', ' ', '\n')).map(([parts, separator]) => parts.join(separator)) },
  { weight: 1, arbitrary: fc.tuple(fragment, fc.integer({ min: 1_000, max: 20_000 })).map(([part, times]) => `${'x{'.repeat(times)}${part}`) },
);
/** Into how many deltas a reply streams: whole, a few, or many (bounded: each delta re-reads the reply so far). */
const deltas = fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 9, max: 60 }));
const nativeToolCalls = fc.array(
  fc.record({ id: fc.oneof(fc.constant(''), fc.constant('dup'), fc.string({ maxLength: 8 })), name: toolName, arguments: fc.oneof(fc.json(), fc.string({ maxLength: 20 })) }),
  { maxLength: 3 },
);

/** The reply's text as a streaming endpoint sends it: in `pieces` deltas of about equal length. */
function streamTo(onContent: ((delta: string) => void) | undefined, text: string, pieces: number): void {
  if (!onContent) return;
  const size = Math.max(1, Math.ceil(text.length / pieces));
  for (let offset = 0; offset < text.length; offset += size) onContent(text.slice(offset, offset + size));
}

/**
 * A fresh engine per run (what it learns of a model's reasoning must not carry over), for one tool
 * mode; each run sets the reply its model streams first, then a plain answer to anything after.
 */
function engineFor(toolMode: 'json' | 'native') {
  let first: LlmReply = { text: '', toolCalls: [] };
  let pieces = 1;
  let asked = 0;
  const called: string[] = [];
  const llm: ChatModel = {
    complete: async (_messages, options) => {
      const reply = asked++ === 0 ? first : { text: FOLLOW_UP, toolCalls: [] };
      streamTo(options?.onContent, reply.text, pieces);
      return reply;
    },
  };
  const tools: ToolProvider = {
    tools: () => CATALOG,
    serverStates: () => ({ s: 'ready' }),
    callTool: async (name): Promise<ToolOutcome> => {
      called.push(name);
      return { ok: true, server: 's', tool: name, text: 'result', images: [] };
    },
  };
  const logger = testLogger();
  return async (reply: LlmReply, deltas = 1): Promise<{ reply: RecordingReply; called: string[] }> => {
    const engine = new ConversationEngine({
      llm,
      tools,
      history: { get: async () => [], set: async () => undefined, delete: async () => undefined },
      settings: { ...TEST_ENGINE_SETTINGS, toolMode },
      logger,
    });
    first = reply;
    pieces = deltas;
    asked = 0;
    called.length = 0;
    const recording = new RecordingReply();
    await engine.handle({ threadKey: 'prop', asker: testAsker(), text: 'question' }, recording);
    return { reply: recording, called: [...called] };
  };
}

function checkTurn({ reply, called }: { reply: RecordingReply; called: string[] }): void {
  expect(reply.errorMessage).toBeUndefined();
  const shown = reply.answer?.text ?? '';
  const streamed = reply.streamedText();
  for (const marker of NEVER_SHOWN) {
    expect(shown).not.toContain(marker);
    expect(streamed).not.toContain(marker);
  }
  for (const name of called) expect(CATALOG.map((tool) => tool.name)).toContain(name);
}

describe('any model reply, through the engine', () => {
  it('in JSON mode never throws, never shows a tool call or reasoning (whole or streamed), and runs only tools that exist', async () => {
    const runTurn = engineFor('json');
    await fc.assert(fc.asyncProperty(reply, deltas, async (text, pieces) => checkTurn(await runTurn({ text, toolCalls: [] }, pieces))), { numRuns: 6_000 });
  });

  it('in native mode likewise, whatever arrives in content and tool_calls', async () => {
    const runTurn = engineFor('native');
    await fc.assert(
      fc.asyncProperty(reply, nativeToolCalls, deltas, async (text, toolCalls, pieces) => checkTurn(await runTurn({ text, toolCalls }, pieces))),
      { numRuns: 5_000 },
    );
  });
});
