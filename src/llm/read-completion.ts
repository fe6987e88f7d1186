import { randomBytes } from 'node:crypto';
import { LlmError, type LlmReply, type NativeToolCall } from './types.js';
import { isJsonObject } from '../shared/json-values.js';

type Loose = Record<string, unknown>;

/**
 * An id for a call the endpoint sent without a usable one: nine letters and digits, the one form
 * every endpoint takes back (Mistral's API refuses any other).
 */
function newCallId(): string {
  return randomBytes(9).toString('base64').replace(/[^a-zA-Z0-9]/g, '').padEnd(9, '0').slice(0, 9);
}

/** `content` (or a streamed delta's) as text: a string, or the text parts of a content array (some endpoints answer that way). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isJsonObject(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

/** Arguments as JSON text: endpoints send a string (OpenAI), an object (llama.cpp, some Ollama versions) or nothing. */
function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '{}';
  return JSON.stringify(value);
}

/**
 * The function calls in a message, each with a name, a unique non-empty id and string arguments, so
 * that the history sent back is what OpenAI accepts. Reads `tool_calls` items with or without `type`
 * and with the function inline (`{name, arguments}`), and the legacy `function_call`. Calls of other
 * types (OpenAI custom tools) and calls without a name cannot be answered, so they are left out.
 */
function toolCallsOf(message: Loose): NativeToolCall[] {
  const raw = Array.isArray(message.tool_calls) ? message.tool_calls : isJsonObject(message.function_call) ? [{ function: message.function_call }] : [];
  const seen = new Set<string>();
  return raw.flatMap((item): NativeToolCall[] => {
    if (!isJsonObject(item) || (item.type !== undefined && item.type !== 'function')) return [];
    const fn = isJsonObject(item.function) ? item.function : item;
    if (typeof fn.name !== 'string' || fn.name.trim() === '') return [];
    let id = typeof item.id === 'string' && item.id.trim() !== '' ? item.id : newCallId();
    while (seen.has(id)) id = newCallId();
    seen.add(id);
    return [{ id, name: fn.name.trim(), arguments: argumentsText(fn.arguments) }];
  });
}

/**
 * Reads the first choice of a chat completion as an endpoint actually sent it (typed as OpenAI's, but
 * any JSON can arrive). Reasoning fields (`reasoning_content`, `reasoning`) are ignored: never shown.
 * @throws LlmError `bad_response` when there is no message to read.
 */
export function readCompletion(completion: unknown, endpoint: string): LlmReply {
  const choices = isJsonObject(completion) && Array.isArray(completion.choices) ? completion.choices : [];
  const choice = choices[0];
  const message = isJsonObject(choice) ? choice.message : undefined;
  if (!isJsonObject(message)) throw new LlmError('bad_response', `LLM endpoint ${endpoint} sent an answer without choices; check that LLM_BASE_URL is an OpenAI-compatible API`);
  return {
    text: contentText(message.content),
    toolCalls: toolCallsOf(message),
    finishReason: isJsonObject(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined,
  };
}
