import type { JsonSchema } from '../../mcp/types.js';
import { isJsonObject } from '../../shared/json-values.js';
import { callShapes, type RawCall } from './call-shapes.js';
import { jsonValuesIn, parseJson, parseLenientJson } from './json-values.js';
import { markupCalls } from './markup-dialects.js';
import { pythonicCalls } from './pythonic.js';
import { withoutReasoning } from './reasoning.js';

/** The tools the model may call, by the name it sees, with their input schemas. */
export type ToolIndex = ReadonlyMap<string, JsonSchema>;

/** One call read from a reply; `invalid` says in words why it cannot be used, for the model to fix. */
export type ReadCall = { tool: string; arguments: Record<string, unknown> } | { invalid: string };

/**
 * What a model's reply amounts to. `calls`: the tool calls in it, in order (`said` is the reply
 * without reasoning, as it goes back into the history). `text`: an answer for the person, with
 * reasoning and the families' control tokens removed.
 */
export type ReadReply = { kind: 'text'; text: string } | { kind: 'calls'; calls: ReadCall[]; said: string };

/** End-of-turn and role tokens that templates leak into the text when the endpoint does not strip them. */
const CONTROL_TOKENS = /<\|channel\|>[^<]*<\|message\|>|<\|(?:im_end|im_start|eot_id|eom_id|end|return|endoftext|start|end_of_text|START_RESPONSE|END_RESPONSE)\|>(?:assistant)?|<｜end▁of▁sentence｜>|<\/s>/g;

/** gpt-oss puts the answer on the `final` channel. */
const HARMONY_FINAL = /<\|channel\|>final<\|message\|>([\s\S]*?)(?:<\|return\|>|<\|end\|>|$)/;

const FENCE = /```([\w-]*)[^\n]*\n([\s\S]*?)```/g;

const BROKEN_TOOL_CALL = /\{\s*["']tool["']\s*:/;

/** Kimi writes `functions.add:0`, gpt-oss `functions.add`, some models `add()`. */
export function canonicalName(name: string, tools: ToolIndex): string {
  const trimmed = name.trim();
  if (tools.has(trimmed)) return trimmed;
  const bare = trimmed.replace(/^functions\./, '').replace(/:\d+$/, '').replace(/\(\)$/, '');
  return tools.has(bare) ? bare : trimmed;
}

/** A call's arguments as an object: from an object, JSON text (lenient, even encoded twice) or nothing; undefined when they are not an object. */
export function readArguments(raw: unknown): Record<string, unknown> | undefined {
  let value: unknown = raw ?? {};
  // Arguments as JSON text, sometimes encoded twice over.
  for (let depth = 0; typeof value === 'string' && depth < 2; depth += 1) value = value.trim() === '' ? {} : parseLenientJson(value);
  return isJsonObject(value) ? value : undefined;
}

/** Names the call and reads its arguments; what cannot be used becomes a reason for the model. */
function readCall(raw: RawCall, tools: ToolIndex): ReadCall {
  if (typeof raw.name !== 'string' || raw.name.trim() === '') return { invalid: 'a tool call must name its tool, as a string' };
  const tool = canonicalName(raw.name, tools);
  const args = readArguments(raw.arguments);
  if (!args) return { invalid: `the arguments for ${tool} must be a JSON object` };
  return { tool, arguments: args };
}

function answerText(text: string): string {
  const final = HARMONY_FINAL.exec(text);
  return (final ? final[1]! : text).replace(CONTROL_TOKENS, '').trim();
}

/** Calls in JSON values: unmistakable shapes always, the others only when every name is in the catalog. */
function jsonCalls(values: unknown[], tools: ToolIndex, wholeReply: boolean): RawCall[] {
  return values.flatMap((value) => {
    const shapes = callShapes(value);
    if (!shapes) return [];
    if (shapes.unmistakable) return shapes.calls;
    const known = shapes.calls.every((call) => typeof call.name === 'string' && tools.has(canonicalName(call.name, tools)));
    // A bare `{"name": "add"}` counts only as the whole reply; in prose it is more likely data.
    const bare = shapes.calls.some((call) => call.arguments === undefined);
    return known && (wholeReply || !bare) ? shapes.calls : [];
  });
}

/** Calls inside code fences: JSON as models write it (lenient), or Python-style calls (Gemma's `tool_code`). */
function fencedCalls(text: string, tools: ToolIndex): RawCall[] {
  return [...text.matchAll(FENCE)].flatMap((fence) => {
    const body = fence[2]!.trim();
    const values = jsonValuesIn(body, parseLenientJson).map((span) => span.value);
    const lenient = values.length > 0 ? values : [parseLenientJson(body)].filter((value) => value !== undefined);
    const calls = jsonCalls(lenient, tools, true);
    if (calls.length > 0) return calls;
    const pythonic = pythonicCalls(body);
    return pythonic?.every((call) => tools.has(canonicalName(String(call.name), tools))) ? pythonic : [];
  });
}

/** Python-style calls as the whole reply (Llama 4, Llama 3.2), when every name is a tool. */
function barePythonicCalls(text: string, tools: ToolIndex): RawCall[] {
  const calls = pythonicCalls(text);
  return calls?.every((call) => tools.has(canonicalName(String(call.name), tools))) ? calls : [];
}

/**
 * Reads a model's reply in whichever tool-call dialect it speaks: this bot's `{"tool": …}`, OpenAI- or
 * Llama-style JSON objects and lists, the families' markup (Hermes/Qwen `<tool_call>`, Mistral
 * `[TOOL_CALLS]`, DeepSeek, Kimi, GLM, gpt-oss, Granite, …), Python-style calls; alone, in a code fence,
 * or within prose. Reasoning (`<think>…`) is dropped first and never acted on.
 *
 * A reply that holds a family's markup or an unmistakable call is never an answer for the person,
 * even when the call cannot be read: it comes back as an `invalid` call for the model to correct.
 */
export function readReply(reply: string, tools: ToolIndex): ReadReply {
  const said = withoutReasoning(reply).trim();

  const markup = markupCalls(said);
  if (markup.found) {
    const calls = markup.calls.length > 0 ? markup.calls.map((call) => readCall(call, tools)) : [{ invalid: 'the tool call markup could not be read' }];
    return { kind: 'calls', calls, said };
  }

  const whole = parseJson(said);
  const found = whole !== undefined ? jsonCalls([whole], tools, true) : [];
  const calls = found.length > 0 ? found : fencedCalls(said, tools);
  const embedded = calls.length > 0 ? calls : jsonCalls(jsonValuesIn(said).map((span) => span.value), tools, false);
  const all = embedded.length > 0 ? embedded : barePythonicCalls(said, tools);
  if (all.length > 0) return { kind: 'calls', calls: all.map((call) => readCall(call, tools)), said };

  if (BROKEN_TOOL_CALL.test(said)) {
    return { kind: 'calls', calls: [{ invalid: 'the tool call is not valid JSON; answer with exactly {"tool": "<name>", "arguments": {...}}' }], said };
  }
  return { kind: 'text', text: answerText(said) };
}
