import { TOOL_CALL_MARKERS } from './markup-dialects.js';
import { REASONING_PAIRS, withoutReasoning } from './reasoning.js';
import { canonicalName, readReply, type ToolIndex } from './read-reply.js';

/**
 * Markup that is never part of an answer: the families' tool-call markers, reasoning tags, and the
 * control tokens templates leak (`<|im_end|>`, `<｜end▁of▁sentence｜>`, `</s>`, harmony channels).
 */
const NEVER_SHOWN: readonly string[] = [...TOOL_CALL_MARKERS, ...REASONING_PAIRS.flat(), '<|', '<｜', '</s>'];

/**
 * A reply that opens like this may be a list of calls as a whole (`[{"name": …}]`, Llama 4's
 * `[add(a=1)]`), or is too short to tell: nothing is shown until it ends. A Markdown link `[text](…)`
 * is told apart at its `]`.
 */
const MAY_BE_A_CALL_LIST = /^\[\s*(?:$|\{|\[|[A-Za-z_][\w.:-]*(?:$|\())/;

const LONGEST_MARKER = Math.max(...NEVER_SHOWN.map((marker) => marker.length));

/** Where the first never-shown marker at or after `from` starts, counting one the text ends in the middle of; the text's length when none. */
function firstMarkerAt(text: string, from: number): number {
  let first = text.length;
  for (const marker of NEVER_SHOWN) {
    const at = text.indexOf(marker, from);
    if (at !== -1 && at < first) first = at;
    // `<tool_ca` at the very end may be a marker still arriving.
    for (let length = Math.min(marker.length - 1, text.length); length > 0; length -= 1) {
      if (text.endsWith(marker.slice(0, length))) {
        first = Math.min(first, text.length - length);
        break;
      }
    }
  }
  // A code fence's backticks may still be arriving.
  const backticks = /`{1,2}$/.exec(text);
  return backticks ? Math.min(first, backticks.index) : first;
}

/** Where a JSON object (strings and escapes respected) that opens at `start` ends, past its `}`; -1 while it is still open. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{') depth += 1;
    else if (char === '}' && (depth -= 1) === 0) return index + 1;
  }
  return -1;
}

/** Where a code fence that opens at `start` ends, past its closing ```; -1 while it is still open. */
function fenceEnd(text: string, start: number): number {
  const bodyAt = text.indexOf('\n', start);
  if (bodyAt === -1) return -1;
  const closeAt = text.indexOf('```', bodyAt);
  return closeAt === -1 ? -1 : closeAt + 3;
}

/** A reply that starts `add(` or `functions.add(` for a catalog tool is a Python-style call; the first word decides. */
function mayBePythonicCall(text: string, tools: ToolIndex): boolean {
  const word = /^[A-Za-z_][\w.:-]*/.exec(text);
  if (!word) return false;
  if (word[0].length === text.length) return true;
  return text[word[0].length] === '(' && tools.has(canonicalName(word[0], tools));
}

/**
 * How much of a reply still arriving can be shown to a person already: the answer's text up to the
 * first place where it might yet turn out to be something else — a tool call (JSON, a code fence, a
 * family's markup), reasoning, or a leaked control token. JSON objects and code fences, at the start
 * or within, are shown once they are whole and read as no call. The result only grows as `raw` grows,
 * except where a reasoning block's end reveals that what came before it was reasoning (a template
 * that opened `<think>` in the prompt); the reply's final reading is the authority then.
 *
 * `settled`: how much of the result an earlier call for the same reply returned. That part is known
 * to hold no marker and no open object or fence, so it is not read again: a reply streamed in many
 * deltas costs about as much as reading it once.
 */
export function showablePrefix(raw: string, tools: ToolIndex, settled = 0): string {
  const text = withoutReasoning(raw).trimStart();
  if (settled === 0 && (MAY_BE_A_CALL_LIST.test(text) || mayBePythonicCall(text, tools))) return '';
  const end = firstMarkerAt(text, Math.max(0, settled - LONGEST_MARKER));
  let shown = settled;
  for (;;) {
    const brace = text.indexOf('{', shown);
    const fence = text.indexOf('```', shown);
    const opening = Math.min(brace === -1 ? Infinity : brace, fence === -1 ? Infinity : fence);
    if (opening >= end) return text.slice(0, end);
    const close = opening === fence ? fenceEnd(text, opening) : objectEnd(text, opening);
    if (close === -1 || close > end || readReply(text.slice(opening, close), tools).kind === 'calls') return text.slice(0, opening);
    shown = close;
  }
}
