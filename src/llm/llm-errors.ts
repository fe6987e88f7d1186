import OpenAI from 'openai';
import { LlmError } from './types.js';

function endpointMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : error.message;
}

/** Turns what the openai SDK throws (after its retries) into an LlmError that says what to check. */
export function toLlmError(error: unknown, baseUrl: string): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new LlmError('timeout', `LLM endpoint ${baseUrl} did not answer in time (LLM_TIMEOUT_S)`, { cause: error });
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? (error.cause as Error | undefined)?.message ?? 'connection failed';
    return new LlmError('unreachable', `LLM endpoint ${baseUrl} is unreachable (${cause}); check LLM_BASE_URL`, { cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    const detail = endpointMessage(error);
    if (status === 401 || status === 403) return new LlmError('unauthorized', `LLM endpoint ${baseUrl} rejected the key (${status}: ${detail}); check LLM_API_KEY`, { cause: error });
    if (status === 429) return new LlmError('rate_limited', `LLM endpoint ${baseUrl} is rate limiting (429: ${detail})`, { cause: error });
    if (status >= 500) return new LlmError('server_error', `LLM endpoint ${baseUrl} failed (${status}: ${detail})`, { cause: error });
    return new LlmError('bad_request', `LLM endpoint ${baseUrl} refused the request (${status}: ${detail}); check LLM_MODEL`, { cause: error });
  }
  if (error instanceof SyntaxError || error instanceof OpenAI.OpenAIError) {
    return new LlmError('bad_response', `LLM endpoint ${baseUrl} sent an answer that is not a chat completion (${(error as Error).message})`, { cause: error });
  }
  return new LlmError('bad_response', `LLM request failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
