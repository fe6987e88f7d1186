import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

export type ChatMessage = ChatCompletionMessageParam;
export type NativeToolDefinition = ChatCompletionTool;

export interface NativeToolCall {
  id: string;
  name: string;
  /** JSON text (an endpoint that sent an object has it serialized). */
  arguments: string;
}

export interface LlmReply {
  text: string;
  /** Filled only in native tool mode. */
  toolCalls: NativeToolCall[];
  /** As the endpoint sent it (`stop`, `tool_calls`, `length`…), when it did. */
  finishReason?: string;
}

export interface CompleteOptions {
  /** Native tool mode only: the catalog as OpenAI `tools`. */
  tools?: NativeToolDefinition[];
  /**
   * Takes the answer's content as it streams, delta by delta, in order; the reply still has the whole
   * text. Without it (or with LLM_STREAM=false) the answer is requested whole.
   */
  onContent?: (delta: string) => void;
  /** Aborting rejects with the openai SDK's APIUserAbortError, not an LlmError: giving up is the caller's choice, not an endpoint failure. */
  signal?: AbortSignal;
}

export interface ChatModel {
  /** The model's name, where known (sampling results report it). */
  readonly model?: string;
  complete(messages: ChatMessage[], options?: CompleteOptions): Promise<LlmReply>;
}

export type LlmErrorKind = 'unreachable' | 'unauthorized' | 'rate_limited' | 'timeout' | 'server_error' | 'bad_request' | 'bad_response';

/** Every failure of the LLM endpoint, after retries, surfaces as this type. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
