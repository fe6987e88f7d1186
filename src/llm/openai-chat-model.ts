import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { LlmSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ATTR, inSpan, SpanKind } from '../observability/tracing.js';
import { endpointFetch } from './endpoint-fetch.js';
import { toLlmError, type EndpointFacts } from './llm-errors.js';
import { sdkLogger, sdkLogLevel } from './sdk-logger.js';
import { readCompletion } from './read-completion.js';
import type { ChatMessage, ChatModel, CompleteOptions, LlmReply } from './types.js';

/** Local endpoints (Ollama, vLLM) take no key, but the SDK insists on one. */
const NO_KEY = 'not-needed';

/** A person is waiting in the thread: a longer retry-after is reported rather than waited out. */
const MAX_RETRY_WAIT_MS = 60_000;

/** The endpoint as logs and errors may show it: a URL with `user:password@` in it loses that part. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

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
  const facts: EndpointFacts = { endpoint: withoutCredentials(settings.baseUrl), timeoutMs: settings.timeoutMs, maxRetries: settings.maxRetries };
  const log = logger.child({ model: settings.model });
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    apiKey: settings.apiKey ?? NO_KEY,
    // Only the bot's documented variables configure it, not OPENAI_ORG_ID / OPENAI_PROJECT_ID.
    organization: null,
    project: null,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
    fetch: endpointFetch({ timeoutMs: settings.timeoutMs, maxRetryWaitMs: MAX_RETRY_WAIT_MS }),
    logger: sdkLogger(log),
    logLevel: sdkLogLevel(log),
  });

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
