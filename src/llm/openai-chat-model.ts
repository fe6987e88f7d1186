import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { LlmSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ATTR, inSpan, SpanKind } from '../observability/tracing.js';
import { toLlmError } from './llm-errors.js';
import { openAIClient } from './openai-client.js';
import { readCompletion } from './read-completion.js';
import type { ChatMessage, ChatModel, CompleteOptions, LlmReply } from './types.js';

/** What every model request's span carries (GenAI semantic conventions, inference client span). */
function chatSpanAttributes(settings: LlmSettings): Record<string, string | number> {
  const endpoint = new URL(settings.baseUrl);
  const port = Number(endpoint.port) || (endpoint.protocol === 'https:' ? 443 : 80);
  return { [ATTR.operationName]: 'chat', [ATTR.requestModel]: settings.model, [ATTR.serverAddress]: endpoint.hostname, [ATTR.serverPort]: port };
}

/**
 * The model behind any OpenAI-compatible endpoint. The SDK retries 429 (honouring retry-after),
 * 408/409, 5xx and connection failures with exponential backoff, and applies the time-out to each
 * attempt; whatever still fails comes out as an LlmError.
 */
export function createChatModel(settings: LlmSettings, logger: Logger): ChatModel {
  const log = logger.child({ model: settings.model });
  const { client, facts } = openAIClient(settings, log);

  const spanName = `chat ${settings.model}`;
  const spanOptions = { kind: SpanKind.CLIENT, attributes: chatSpanAttributes(settings) };

  return {
    model: settings.model,
    // One span per request, the SDK's retries inside it.
    complete: (messages: ChatMessage[], options: CompleteOptions = {}): Promise<LlmReply> => inSpan(spanName, spanOptions, async (span) => {
      const started = Date.now();
      let completion: ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          { model: settings.model, messages, ...(options.tools?.length ? { tools: options.tools } : {}) },
          { signal: options.signal },
        );
      } catch (error) {
        // The caller gave up; that is not the endpoint's failure.
        if (error instanceof OpenAI.APIUserAbortError) throw error;
        const failure = toLlmError(error, facts);
        // Debug only: the caller handles the failure and logs it once.
        log.debug({ kind: failure.kind, ms: Date.now() - started }, 'LLM request failed');
        throw failure;
      }
      const reply = readCompletion(completion, facts.endpoint);
      const usage = completion.usage;
      span.setAttributes({
        ...(typeof completion.model === 'string' ? { [ATTR.responseModel]: completion.model } : {}),
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
