import OpenAI from 'openai';
import type { LlmSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { endpointFetch } from './endpoint-fetch.js';
import type { EndpointFacts } from './llm-errors.js';
import { sdkLogger, sdkLogLevel } from './sdk-logger.js';

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

/** Where and how to reach an OpenAI-compatible endpoint, whichever model is asked there. */
export type EndpointSettings = Pick<LlmSettings, 'baseUrl' | 'apiKey' | 'timeoutMs' | 'maxRetries'>;

/**
 * The openai SDK client for the operator's endpoint (LLM_BASE_URL, LLM_API_KEY), with the bot's
 * time-out and retries (the SDK retries 429 honouring retry-after, 408/409, 5xx and connection
 * failures with exponential backoff, the time-out applying to each attempt), its fetch (see
 * endpointFetch) and its SDK lines logged through `log`. `facts` is what errors may say about it.
 */
export function openAIClient(settings: EndpointSettings, log: Logger): { client: OpenAI; facts: EndpointFacts } {
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
  return { client, facts: { endpoint: withoutCredentials(settings.baseUrl), timeoutMs: settings.timeoutMs, maxRetries: settings.maxRetries } };
}
