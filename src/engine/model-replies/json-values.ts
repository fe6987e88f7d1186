import { jsonrepair } from 'jsonrepair';

/** One JSON object or array found in a model's reply, with where it stood. */
export interface JsonValueSpan {
  start: number;
  end: number;
  value: unknown;
}

/** Parse attempts per reply: a huge reply full of braces must not cost seconds. */
const MAX_PARSE_ATTEMPTS = 200;

/** `JSON.parse`, or undefined. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * JSON as models write it when they mean JSON: trailing commas, single quotes, Python's True/False/None,
 * comments, a missing closing brace. Only for text that is meant to be a tool call (inside a family's
 * tool-call markup or a code fence), never for prose.
 */
export function parseLenientJson(text: string): unknown {
  const strict = parseJson(text);
  if (strict !== undefined) return strict;
  try {
    return JSON.parse(jsonrepair(text));
  } catch {
    return undefined;
  }
}

/** Balanced `{…}` / `[…]` spans at every depth, strings inside them respected; unbalanced prose resets nothing. */
function balancedSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const stack: { char: string; index: number }[] = [];
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"' && stack.length > 0) inString = true;
    else if (char === '{' || char === '[') stack.push({ char, index });
    else if (char === '}' || char === ']') {
      const opener = char === '}' ? '{' : '[';
      // Prose brackets that do not pair up are skipped over rather than ending the scan.
      let at = stack.length - 1;
      while (at >= 0 && stack[at]!.char !== opener) at -= 1;
      if (at === -1) continue;
      const { index: start } = stack[at]!;
      stack.length = at;
      spans.push({ start, end: index + 1 });
    }
  }
  return spans;
}

/** A span worth parsing: an object with a quoted key (or empty), or an array of objects. */
function looksLikeJson(text: string, span: { start: number; end: number }): boolean {
  return /^(?:\{\s*["}]|\[\s*\{)/.test(text.slice(span.start, Math.min(span.end, span.start + 64)));
}

/**
 * The outermost JSON objects and arrays of objects in `text`, in order, each parsed with `parse`
 * (strict JSON by default). Anything between them is left alone.
 */
export function jsonValuesIn(text: string, parse: (candidate: string) => unknown = parseJson): JsonValueSpan[] {
  const candidates = balancedSpans(text)
    .filter((span) => looksLikeJson(text, span))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const found: JsonValueSpan[] = [];
  let attempts = 0;
  let coveredUntil = 0;
  for (const span of candidates) {
    if (span.start < coveredUntil) continue;
    if (attempts >= MAX_PARSE_ATTEMPTS) break;
    attempts += 1;
    const value = parse(text.slice(span.start, span.end));
    if (value === undefined || value === null || typeof value !== 'object') continue;
    found.push({ ...span, value });
    coveredUntil = span.end;
  }
  return found;
}
