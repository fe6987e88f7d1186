import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { LlmSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ATTR, inSpan, SpanKind } from '../observability/tracing.js';
import { toLlmError } from './llm-errors.js';
import { openAIClient } from './openai-client.js';
import { readCompletion } from './read-completion.js';
import { streamCompletion } from './streamed-request.js';
import { LlmError, type ChatMessage, type ChatModel, type CompleteOptions, type LlmReply } from './types.js';

/** What every model request's span carries (GenAI semantic conventions, inference client span). */
function chatSpanAttributes(settings: LlmSettings): Record<string, string | number> {
  const endpoint = new URL(settings.baseUrl);
  const port = Number(endpoint.port) || (endpoint.protocol === 'https:' ? 443 : 80);
  return { [ATTR.operationName]: 'chat', [ATTR.requestModel]: settings.model, [ATTR.serverAddress]: endpoint.hostname, [ATTR.serverPort]: port };
}

/**
 * The model behind any OpenAI-compatible endpoint. The SDK retries 429 (honouring retry-after),
 * 408/409, 5xx and connection failures with exponential backoff, and applies the time-out to each
 * attempt; whatever still fails comes out as an LlmError. With `onContent`, the answer streams
 * (LLM_STREAM): an endpoint that refuses `stream: true` is asked whole, and from then on always (logged
 * once); a stream that breaks before any content is asked again whole; one that breaks after content
 * rejects, so the turn ends with what was shown and an error line.
 */
export function createChatModel(settings: LlmSettings, logger: Logger): ChatModel {
  const log = logger.child({ model: settings.model });
  const { client, facts } = openAIClient(settings, log);

  const spanName = `chat ${settings.model}`;
  const spanOptions = { kind: SpanKind.CLIENT, attributes: chatSpanAttributes(settings) };

  /** Set once the endpoint has refused `stream: true`: answers then arrive whole, without asking again. */
  let streamingRefused = !settings.stream;

  const requestWhole = async (body: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal | undefined): Promise<ChatCompletion> => {
    try {
      return await client.chat.completions.create(body, { signal });
    } catch (error) {
      // The caller gave up; that is not the endpoint's failure.
      if (error instanceof OpenAI.APIUserAbortError) throw error;
      throw toLlmError(error, facts);
    }
  };

  /** Streamed when the caller takes deltas and the endpoint streams; whole otherwise, or when a stream fails before any content. */
  const request = async (body: ChatCompletionCreateParamsNonStreaming, options: CompleteOptions): Promise<unknown> => {
    const { onContent, signal } = options;
    if (!onContent || streamingRefused) return requestWhole(body, signal);
    const streamed = await streamCompletion(client, body, { signal, onContent }, facts);
    if (streamed.ok) return streamed.completion;
    if (streamed.kind === 'broken-mid-answer' || streamed.kind === 'failed') throw streamed.error;
    const whole = await requestWhole(body, signal);
    if (streamed.kind === 'refused') {
      streamingRefused = true;
      log.warn({ reason: toLlmError(streamed.error, facts).message }, 'the LLM endpoint refused to stream (stream: true) but answers whole: answers will arrive whole from now on');
    } else {
      log.debug({ err: streamed.error }, 'streamed answer broke before any content; asked again without streaming');
    }
    return whole;
  };

  return {
    model: settings.model,
    // One span per request, the SDK's retries inside it.
    complete: (messages: ChatMessage[], options: CompleteOptions = {}): Promise<LlmReply> => inSpan(spanName, spanOptions, async (span) => {
      const started = Date.now();
      const body = { model: settings.model, messages, ...(options.tools?.length ? { tools: options.tools } : {}) };
      let completion: unknown;
      try {
        completion = await request(body, options);
      } catch (error) {
        // Debug only: the caller handles the failure and logs it once.
        if (error instanceof LlmError) log.debug({ kind: error.kind, ms: Date.now() - started }, 'LLM request failed');
        throw error;
      }
      const reply = readCompletion(completion, facts.endpoint);
      const { model, usage } = completion as Partial<ChatCompletion>;
      span.setAttributes({
        ...(typeof model === 'string' ? { [ATTR.responseModel]: model } : {}),
        ...(reply.finishReason ? { [ATTR.finishReasons]: [reply.finishReason] } : {}),
        ...(usage ? { [ATTR.inputTokens]: usage.prompt_tokens, [ATTR.outputTokens]: usage.completion_tokens } : {}),
      });
      log.debug(
        { ms: Date.now() - started, promptTokens: usage?.prompt_tokens, completionTokens: usage?.completion_tokens, toolCalls: reply.toolCalls.length },
        'LLM answered',
      );
      return reply;
    }),
  };
}
