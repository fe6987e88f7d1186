import OpenAI from 'openai';
import { retryAfterMs } from './endpoint-fetch.js';
import { LlmError, type LlmErrorKind } from './types.js';

/** What an error message may say about the endpoint: its address (without credentials) and our limits. */
export interface EndpointFacts {
  endpoint: string;
  timeoutMs: number;
  maxRetries: number;
  /** The setting naming the model, for advice on a refused request; LLM_MODEL when absent. */
  modelVariable?: string;
  /** What a good answer is, for a malformed one; a chat completion when absent. */
  answerKind?: string;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * Why fetch failed: the system error code it buries under a layer or two of `cause` (or an
 * AggregateError), else the innermost message (fetch refuses some ports outright: "bad port").
 */
function networkReason(error: unknown): string {
  let reason = 'connection failed';
  let current: unknown = error;
  while (current instanceof Error) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return NETWORK_REASONS[code] ?? code;
    reason = current.message;
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause;
  }
  return reason;
}

/** The endpoint's own explanation, short enough for one log line (some proxies answer with an HTML page). */
function endpointDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const detail = typeof body?.message === 'string' ? body.message : error.message;
  return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

function afterRetries(facts: EndpointFacts): string {
  return facts.maxRetries === 0 ? '' : ` after ${facts.maxRetries} retries`;
}

function rateLimited(error: InstanceType<typeof OpenAI.APIError>, facts: EndpointFacts, detail: string): string {
  const wait = error.headers ? retryAfterMs(error.headers) : undefined;
  const advice =
    wait !== undefined && wait > 0 ? `it asks to wait ${Math.ceil(wait / 1000)} s` : 'wait, or check the rate limits and quota of the key (LLM_API_KEY)';
  return `LLM endpoint ${facts.endpoint} is rate limiting requests (429: ${detail})${afterRetries(facts)}; ${advice}`;
}

/** Drops `user:password@` from any URL in a message: fetch quotes the full request URL in some errors. */
function withoutUserInfo(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//');
}

/** Turns what the openai SDK throws (after its retries) into an LlmError that says what to check. */
export function toLlmError(error: unknown, facts: EndpointFacts): LlmError {
  if (error instanceof LlmError) return error;
  const fail = (kind: LlmErrorKind, message: string) => new LlmError(kind, withoutUserInfo(message), { cause: error });
  const { endpoint } = facts;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return fail('timeout', `LLM endpoint ${endpoint} did not answer within ${facts.timeoutMs / 1000} s${afterRetries(facts)}; check LLM_TIMEOUT_S and the endpoint's load`);
  }
  if (error instanceof OpenAI.APIConnectionError) return fail('unreachable', `LLM endpoint ${endpoint} is unreachable (${networkReason(error)}); check LLM_BASE_URL`);
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const { status } = error;
    const detail = endpointDetail(error);
    if (status === 401 || status === 403) return fail('unauthorized', `LLM endpoint ${endpoint} rejected the key (${status}: ${detail}); check LLM_API_KEY`);
    if (status === 408) return fail('timeout', `LLM endpoint ${endpoint} timed out the request (408: ${detail})${afterRetries(facts)}`);
    if (status === 429) return fail('rate_limited', rateLimited(error, facts, detail));
    if (status >= 500) return fail('server_error', `LLM endpoint ${endpoint} failed (${status}: ${detail})${afterRetries(facts)}`);
    return fail('bad_request', `LLM endpoint ${endpoint} refused the request (${status}: ${detail}); check ${facts.modelVariable ?? 'LLM_MODEL'} and LLM_BASE_URL`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return fail('bad_response', `LLM endpoint ${endpoint} sent an answer that is not ${facts.answerKind ?? 'a chat completion'} (${reason})`);
}
