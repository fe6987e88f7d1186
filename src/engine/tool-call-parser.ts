/** What a model reply in JSON mode amounts to. */
export type ParsedReply =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; tool: string; arguments: Record<string, unknown> }
  | { kind: 'invalid'; reason: string };

const FENCED = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/g;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asToolCall(value: unknown): ParsedReply | undefined {
  if (!isPlainObject(value) || !('tool' in value)) return undefined;
  if (typeof value.tool !== 'string' || value.tool.trim() === '') return { kind: 'invalid', reason: '"tool" must be the name of a tool, as a string' };
  const args = value.arguments ?? {};
  if (!isPlainObject(args)) return { kind: 'invalid', reason: `"arguments" of ${value.tool} must be a JSON object` };
  return { kind: 'tool', tool: value.tool.trim(), arguments: args };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every balanced `{…}` span outside strings, outermost only, in order. */
function objectSpans(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = -1;
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
    if (char === '"' && depth > 0) inString = true;
    else if (char === '{') {
      if (depth === 0) start = index;
      depth += 1;
    } else if (char === '}' && depth > 0) {
      depth -= 1;
      if (depth === 0) spans.push(text.slice(start, index + 1));
    }
  }
  return spans;
}

const LOOKS_LIKE_TOOL_CALL = /\{\s*"tool"\s*:/;

/**
 * Reads a JSON-mode reply: the call alone, inside a ```json fence, or as the one tool-call object in
 * a longer reply. Anything else is plain text — unless it plainly tried to be a tool call and failed,
 * which is reported so the model can correct itself.
 */
export function parseToolCall(reply: string): ParsedReply {
  const text = reply.trim();

  const whole = asToolCall(tryParse(text));
  if (whole) return whole;

  for (const match of text.matchAll(FENCED)) {
    const fenced = asToolCall(tryParse(match[1]?.trim() ?? ''));
    if (fenced) return fenced;
  }

  const embedded = objectSpans(text)
    .map((span) => asToolCall(tryParse(span)))
    .filter((call): call is ParsedReply => call !== undefined);
  if (embedded.length === 1 && embedded[0]) return embedded[0];
  if (embedded.length > 1) return { kind: 'invalid', reason: 'the reply holds more than one tool call; send exactly one at a time' };

  if (LOOKS_LIKE_TOOL_CALL.test(text)) {
    return { kind: 'invalid', reason: 'the tool call is not valid JSON; answer with exactly {"tool": "<name>", "arguments": {...}}' };
  }
  return { kind: 'text', text };
}
