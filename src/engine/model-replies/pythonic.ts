import { parseLenientJson } from './json-values.js';
import type { RawCall } from './call-shapes.js';

/**
 * Python-style calls, as Llama 4, Llama 3.2 (pythonic), LFM2, Olmo 3 and Gemma's `tool_code` write
 * them: `[get_weather(city="Paris", days=3), get_time()]` or a bare `get_time()`. Keyword arguments
 * only, values as Python literals (strings, numbers, True/False/None, lists, dicts).
 */

const CALL_START = /^\s*([A-Za-z_][\w.-]*)\s*\(/;

/** Splits at the commas that are not inside quotes or brackets. */
function splitTopLevel(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quote) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if ('([{'.includes(char)) depth += 1;
    else if (')]}'.includes(char)) {
      depth -= 1;
      if (depth < 0) return undefined;
    } else if (char === separator && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  if (quote || depth !== 0) return undefined;
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function readKeywordArguments(text: string): Record<string, unknown> | undefined {
  const parts = splitTopLevel(text, ',');
  if (!parts) return undefined;
  const args: Record<string, unknown> = {};
  for (const part of parts) {
    const match = /^([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(part);
    if (!match) return undefined;
    const value = parseLenientJson(match[2]!);
    if (value === undefined) return undefined;
    args[match[1]!] = value;
  }
  return args;
}

function readOneCall(text: string): RawCall | undefined {
  const start = CALL_START.exec(text);
  if (!start || !text.trimEnd().endsWith(')')) return undefined;
  const inner = text.slice(start[0].length, text.trimEnd().length - 1);
  const args = readKeywordArguments(inner);
  return args ? { name: start[1], arguments: args } : undefined;
}

/** The calls in `text` when all of it is Python-style calls (in a list or one a line), else undefined. */
export function pythonicCalls(text: string): RawCall[] | undefined {
  let body = text.trim();
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1);
  if (!CALL_START.test(body)) return undefined;
  const parts = splitTopLevel(body.replace(/\)\s*\n\s*(?=[A-Za-z_])/g, '),'), ',');
  if (!parts || parts.length === 0) return undefined;
  const calls = parts.map(readOneCall);
  return calls.every((call) => call !== undefined) ? (calls as RawCall[]) : undefined;
}
