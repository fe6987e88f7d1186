import { isJsonObject } from '../shared/json-values.js';
import { contentText } from './read-completion.js';

type Loose = Record<string, unknown>;

interface CallFragments {
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

/** Argument fragments are JSON text; llama.cpp and some Ollama versions send the whole object in one chunk. */
function argumentFragment(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/**
 * What a streamed chat completion (`stream: true`, chunks of `object: "chat.completion.chunk"`) adds
 * up to, read as endpoints actually send it. Content deltas are joined; tool calls are assembled by
 * `index` (OpenAI sends the id, type and name once, then argument fragments; without `index`, a new
 * id or a second name starts the next call); the legacy `function_call` delta
 * likewise. The result has the shape of a non-streamed completion, for `readCompletion`.
 */
export class CompletionStream {
  private content = '';
  private finishReason: string | undefined;
  private model: string | undefined;
  private usage: Loose | undefined;
  private readonly calls: CallFragments[] = [];
  private functionCall: CallFragments | undefined;

  /** Takes one chunk; returns the content it adds ('' for none). */
  add(chunk: unknown): string {
    if (!isJsonObject(chunk)) return '';
    if (typeof chunk.model === 'string') this.model = chunk.model;
    if (isJsonObject(chunk.usage)) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((item) => isJsonObject(item) && (item.index ?? 0) === 0) : undefined;
    if (!isJsonObject(choice)) return '';
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    const delta = isJsonObject(choice.delta) ? choice.delta : isJsonObject(choice.message) ? choice.message : {};
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.forEach((item) => this.addCall(item));
    if (isJsonObject(delta.function_call)) {
      this.functionCall ??= { name: '', arguments: '' };
      if (typeof delta.function_call.name === 'string') this.functionCall.name += delta.function_call.name;
      this.functionCall.arguments += argumentFragment(delta.function_call.arguments);
    }
    const text = contentText(delta.content);
    this.content += text;
    return text;
  }

  private addCall(item: unknown): void {
    if (!isJsonObject(item)) return;
    const fn = isJsonObject(item.function) ? item.function : {};
    const id = typeof item.id === 'string' && item.id !== '' ? item.id : undefined;
    const last = this.calls.at(-1);
    const named = typeof fn.name === 'string' && fn.name !== '';
    // Without `index`, a new id or a second name starts the next call (some endpoints send several calls in one delta).
    const startsCall = !last || (id !== undefined && id !== last.id) || (named && last.name !== '');
    let call = typeof item.index === 'number' ? this.calls[item.index] : startsCall ? undefined : last;
    if (!call) {
      call = { name: '', arguments: '' };
      if (typeof item.index === 'number') this.calls[item.index] = call;
      else this.calls.push(call);
    }
    call.id ??= id;
    if (typeof item.type === 'string') call.type = item.type;
    // Most endpoints send the name once; a few repeat it whole in every chunk.
    if (typeof fn.name === 'string' && fn.name !== call.name) call.name += fn.name;
    call.arguments += argumentFragment(fn.arguments);
  }

  /** The chat completion the chunks so far add up to. */
  completion(): Loose {
    const toolCalls = this.calls.filter(Boolean).map((call) => ({ id: call.id, type: call.type ?? 'function', function: { name: call.name, arguments: call.arguments } }));
    const message: Loose = { role: 'assistant', content: this.content };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    if (this.functionCall) message.function_call = this.functionCall;
    return { object: 'chat.completion', model: this.model, choices: [{ index: 0, message, finish_reason: this.finishReason ?? null }], usage: this.usage };
  }
}
