import { isJsonObject } from '../../shared/json-values.js';
import { callShapes, type RawCall } from './call-shapes.js';
import { jsonValuesIn, parseLenientJson } from './json-values.js';
import { pythonicCalls } from './pythonic.js';

/**
 * Tool-call markup of the open model families, as the tool parsers of vLLM
 * (vllm/entrypoints/openai/tool_parsers) and llama.cpp (common/chat.cpp) read it. Each dialect finds
 * its blocks; what a block holds is read by `callsInBlock` (JSON, XML-style parameters or Python-style
 * calls), so one family's markup around another's payload still works.
 */
interface Dialect {
  family: string;
  /** Global; group 1 is the block's payload. An unclosed block runs to the end of the reply (the model stopped there). */
  pattern: RegExp;
  /** For dialects whose blocks name the tool outside the payload. */
  read?: (match: RegExpExecArray) => RawCall[];
}

/** Any of these in a reply means the model tried to call a tool, whether or not the call can be read. */
export const TOOL_CALL_MARKERS: readonly string[] = [
  '<tool_call>', '</tool_call>', '<seed:tool_call>', '<minimax:tool_call>', '<｜DSML｜', '<function_calls>', '<tool_calls>', '<TOOLCALL>',
  '<longcat_tool_call>', '<|tool_call|>', '<function_call>', '<|action_start|>', '<|START_ACTION|>', '<|tools_prefix|>',
  '<|tool_call_start|>', '<|python_start|>', '<|python_tag|>', 'functools[', '[TOOL_CALLS]', '[ARGS]', '<｜tool▁calls▁begin｜>',
  '<｜tool▁call▁begin｜>', '<|tool▁calls▁begin|>', '<|tool▁call▁begin|>', '<|tool_calls_section_begin|>', '<|tool_call_begin|>',
  '<|constrain|>', '<|call|>', '<function=',
];

const PARAMETER_TAG = /<parameter=([^>\n]+)>\n?([\s\S]*?)\n?<\/parameter>/g;
const FUNCTION_TAG = /<function=([^>\n]+)>([\s\S]*?)(?:<\/function>|$)/g;
const INVOKE_TAG = /<[^<>]*?invoke name="([^"]+)"[^>]*>([\s\S]*?)(?:<\/[^<>]*?invoke>|$)/g;
const NAMED_PARAMETER_TAG = /<[^<>]*?parameter name="([^"]+)"[^>]*>([\s\S]*?)<\/[^<>]*?parameter>/g;
const GLM_ARGUMENT = /<arg_key>([\s\S]*?)<\/arg_key>\s*<arg_value>([\s\S]*?)<\/arg_value>/g;

/** XML-style parameter values are text; a value that reads as JSON (a number, a list) is taken as that. */
function parameterValue(raw: string): unknown {
  const text = raw.trim();
  const value = parseLenientJson(text);
  return value === undefined || (typeof value === 'string' && value !== text) ? text : value;
}

function parametersFrom(body: string, pattern: RegExp): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const match of body.matchAll(pattern)) args[match[1]!.trim()] = parameterValue(match[2]!);
  return args;
}

/** Apertus writes `[{"get_weather": {"city": "Paris"}}]`: the tool's name as the only key. */
function nameKeyedCalls(value: unknown): RawCall[] | undefined {
  const items = Array.isArray(value) ? value : [value];
  const calls = items.map((item) => {
    if (!isJsonObject(item)) return undefined;
    const keys = Object.keys(item);
    return keys.length === 1 && isJsonObject(item[keys[0]!]) ? { name: keys[0], arguments: item[keys[0]!] } : undefined;
  });
  return calls.length > 0 && calls.every((call) => call !== undefined) ? (calls as RawCall[]) : undefined;
}

/** The calls in one block's payload, whatever notation it uses; empty when none can be read. */
function callsInBlock(payload: string): RawCall[] {
  const body = payload.trim();
  if (/<function=/.test(body)) return [...body.matchAll(FUNCTION_TAG)].map((match) => functionTagCall(match));
  if (/invoke name="/.test(body)) return [...body.matchAll(INVOKE_TAG)].map((match) => ({ name: match[1], arguments: parametersFrom(match[2]!, NAMED_PARAMETER_TAG) }));
  // GLM-4.5 / 4.6: the name, then <arg_key>/<arg_value> pairs.
  const glm = /^([^\s<{[]+)\s*(<arg_key>[\s\S]*)?$/.exec(body);
  if (glm && (glm[2] || !body.includes('('))) return [{ name: glm[1], arguments: glm[2] ? parametersFrom(glm[2], GLM_ARGUMENT) : {} }];
  const whole = parseLenientJson(body);
  const values = whole !== undefined && typeof whole === 'object' ? [whole] : jsonValuesIn(body, parseLenientJson).map((span) => span.value);
  const calls = values.flatMap((value) => callShapes(value)?.calls ?? nameKeyedCalls(value) ?? []);
  if (calls.length > 0) return calls;
  return pythonicCalls(body) ?? [];
}

/** `<function=name>` followed by JSON arguments (Llama 3.1, Functionary) or `<parameter=…>` tags (Qwen3-Coder, Seed-OSS). */
function functionTagCall(match: RegExpMatchArray): RawCall {
  const body = match[2]!;
  const args = /<parameter=/.test(body) ? parametersFrom(body, PARAMETER_TAG) : body.trim() === '' ? {} : body.trim();
  return { name: match[1]!.trim(), arguments: args };
}

/** DeepSeek V3 / R1: `function<｜tool▁sep｜>name` + fenced JSON; V3.1: `name<｜tool▁sep｜>{…}`. */
function deepSeekCall(match: RegExpExecArray): RawCall[] {
  const [head = '', ...rest] = match[1]!.split(/<[|｜]tool▁sep[|｜]>/);
  const tail = rest.join('');
  if (head.trim() !== 'function') return [{ name: head.trim(), arguments: tail.trim() }];
  const newline = tail.indexOf('\n');
  const name = (newline === -1 ? tail : tail.slice(0, newline)).trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(tail);
  return [{ name, arguments: fenced ? fenced[1]!.trim() : newline === -1 ? {} : tail.slice(newline + 1).trim() }];
}

/** Mistral v11+ tokenizers: `[TOOL_CALLS]name[ARGS]{…}` (with `[CALL_ID]id` in between on some); older: `[TOOL_CALLS] [{…}]`. */
function mistralCalls(match: RegExpExecArray): RawCall[] {
  const named = /^\s*([^\s[\]{}]+)\s*(?:\[CALL_ID\]\s*\S*?\s*)?\[ARGS\]([\s\S]*)$/.exec(match[1]!);
  return named ? [{ name: named[1], arguments: named[2]!.trim() }] : callsInBlock(match[1]!);
}

/** Kimi K2: `functions.get_weather:0` names the call; the name is the part between `.` and `:`. */
function kimiCall(match: RegExpExecArray): RawCall[] {
  return [{ name: match[1]!.trim(), arguments: match[2]!.trim() }];
}

/** gpt-oss (harmony): `to=functions.name … <|message|>{…}<|call|>`. */
function harmonyCall(match: RegExpExecArray): RawCall[] {
  return [{ name: match[1]!.trim(), arguments: match[2]!.trim() }];
}

const block = (open: string, close: string) => new RegExp(`${open}([\\s\\S]*?)(?:${close}|$)`, 'g');

/** Containers first: a payload is read once, by the outermost markup around it. */
const DIALECTS: readonly Dialect[] = [
  { family: 'deepseek', pattern: /<[|｜]tool▁call▁begin[|｜]>([\s\S]*?)(?:<[|｜]tool▁call▁end[|｜]>|$)/g, read: deepSeekCall },
  { family: 'kimi-k2', pattern: /<\|tool_call_begin\|>\s*([^<]+?)\s*<\|tool_call_argument_begin\|>([\s\S]*?)(?:<\|tool_call_end\|>|$)/g, read: kimiCall },
  { family: 'harmony', pattern: /to=([\w.:-]+)[^<]*(?:<\|channel\|>[^<]*)?(?:<\|constrain\|>[^<]*)?<\|message\|>([\s\S]*?)(?:<\|call\|>|<\|end\|>|<\|return\|>|$)/g, read: harmonyCall },
  { family: 'mistral', pattern: /\[TOOL_CALLS\]([\s\S]*?)(?=\[TOOL_CALLS\]|$)/g, read: mistralCalls },
  { family: 'hermes', pattern: block('<tool_call>', '</tool_call>') },
  { family: 'seed-oss', pattern: block('<seed:tool_call>', '</seed:tool_call>') },
  { family: 'minimax-m2', pattern: block('<minimax:tool_call>', '</minimax:tool_call>') },
  { family: 'deepseek-v3.2', pattern: block('<｜DSML｜function_calls>', '</｜DSML｜function_calls>') },
  { family: 'function-calls', pattern: block('<function_calls>', '</function_calls>') },
  { family: 'jamba', pattern: block('<tool_calls>', '</tool_calls>') },
  { family: 'nemotron', pattern: block('<TOOLCALL>', '</TOOLCALL>') },
  { family: 'longcat', pattern: block('<longcat_tool_call>', '</longcat_tool_call>') },
  { family: 'internlm', pattern: block('<\\|action_start\\|>\\s*<\\|plugin\\|>', '<\\|action_end\\|>') },
  { family: 'command-r7b', pattern: block('<\\|START_ACTION\\|>', '<\\|END_ACTION\\|>') },
  { family: 'apertus', pattern: block('<\\|tools_prefix\\|>', '<\\|tools_suffix\\|>') },
  { family: 'lfm2', pattern: block('<\\|tool_call_start\\|>', '<\\|tool_call_end\\|>') },
  { family: 'llama4', pattern: block('<\\|python_start\\|>', '<\\|python_end\\|>') },
  { family: 'llama3', pattern: /<\|python_tag\|>([\s\S]*?)(?:<\|eom_id\|>|<\|eot_id\|>|$)/g },
  { family: 'granite', pattern: /<\|tool_call\|>([\s\S]*)$/g },
  { family: 'granite-20b-fc', pattern: /<function_call>([\s\S]*?)(?=<function_call>|$)/g },
  { family: 'phi4-mini', pattern: /functools(\[[\s\S]*\])/g },
  { family: 'function-tag', pattern: /(<function=[^>\n]+>[\s\S]*?(?:<\/function>|$))/g },
];

/** Calls read from the families' markup, in the order they appear; `found` is false when the reply holds none. */
export interface MarkupCalls {
  found: boolean;
  calls: RawCall[];
}

/** Finds every block of every dialect in `text` and reads the calls in them. */
export function markupCalls(text: string): MarkupCalls {
  // Every dialect's markup holds one of these; most replies are prose with none, and skip the scan.
  if (!/[<[｜]|functools/.test(text)) return { found: false, calls: [] };
  let rest = text;
  const found: { index: number; calls: RawCall[] }[] = [];
  for (const dialect of DIALECTS) {
    dialect.pattern.lastIndex = 0;
    for (const match of rest.matchAll(dialect.pattern)) {
      found.push({ index: match.index, calls: dialect.read ? dialect.read(match) : callsInBlock(match[1]!) });
    }
    // Blank out what this dialect read so an inner notation is not read a second time.
    rest = rest.replace(dialect.pattern, (whole) => ' '.repeat(whole.length));
  }
  const calls = found.sort((a, b) => a.index - b.index).flatMap((entry) => entry.calls);
  return { found: found.length > 0 || TOOL_CALL_MARKERS.some((marker) => text.includes(marker)), calls };
}
