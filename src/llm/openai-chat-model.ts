import OpenAI from 'openai';
import type { LlmSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { toLlmError } from './llm-errors.js';
import { LlmError, type ChatMessage, type ChatModel, type CompleteOptions, type LlmReply } from './types.js';

/** Local endpoints (Ollama, vLLM) take no key, but the SDK insists on one. */
const NO_KEY = 'not-needed';

/**
 * The model behind any OpenAI-compatible endpoint. The SDK retries 429 (honouring retry-after),
 * 5xx and connection errors with backoff and applies the request time-out; whatever still fails
 * comes out as an LlmError.
 */
export function createChatModel(settings: LlmSettings, logger: Logger): ChatModel {
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    apiKey: settings.apiKey ?? NO_KEY,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
  });
  const log = logger.child({ model: settings.model });

  return {
    async complete(messages: ChatMessage[], options: CompleteOptions = {}): Promise<LlmReply> {
      const started = Date.now();
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          { model: settings.model, messages, ...(options.tools ? { tools: options.tools } : {}) },
          { signal: options.signal },
        );
      } catch (error) {
        const failure = toLlmError(error, settings.baseUrl);
        log.warn({ kind: failure.kind, ms: Date.now() - started, err: failure.message }, 'LLM request failed');
        throw failure;
      }
      const message = completion.choices?.[0]?.message;
      if (!message) throw new LlmError('bad_response', `LLM endpoint ${settings.baseUrl} sent a completion without choices`);
      const toolCalls = (message.tool_calls ?? []).flatMap((call) =>
        call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
      );
      log.debug({ ms: Date.now() - started, usage: completion.usage, toolCalls: toolCalls.length }, 'LLM answered');
      return { text: message.content ?? '', toolCalls };
    },
  };
}
