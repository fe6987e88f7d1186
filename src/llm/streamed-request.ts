import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { CompletionStream } from './completion-stream.js';
import { toLlmError, type EndpointFacts } from './llm-errors.js';
import { LlmError } from './types.js';

/** Statuses with which endpoints refuse `stream: true` itself (OpenAI: 400 `unsupported_value` on `stream`). */
const REFUSED_STREAM_STATUSES = new Set([400, 415, 422, 501]);

/** How a streamed request ended when it gave no completion. */
export type StreamFailure =
  /** The endpoint refused the request; the same one without `stream` may pass. */
  | { kind: 'refused'; error: unknown }
  /** The request failed before a stream began (after the SDK's retries): asking again whole would fail the same way. */
  | { kind: 'failed'; error: LlmError }
  /** The stream began, then broke before any content: nothing was shown, the request can be made again whole. */
  | { kind: 'broken-before-content'; error: unknown }
  /** It broke after content was passed on: what was shown stays, and the turn ends with this error. */
  | { kind: 'broken-mid-answer'; error: LlmError };

/** A streamed request's end: the completion the chunks add up to (shaped as a non-streamed one), or why there is none. */
export type StreamOutcome = { ok: true; completion: Record<string, unknown> } | ({ ok: false } & StreamFailure);

/** A stream that stalled is a time-out whichever layer noticed it (our fetch's idle deadline, the SDK, undici). */
function isTimeout(error: unknown): boolean {
  for (let current = error; current instanceof Error || current instanceof DOMException; current = (current as Error).cause) {
    if (current.name === 'TimeoutError' || current instanceof OpenAI.APIConnectionTimeoutError) return true;
  }
  return false;
}

function midAnswerError(error: unknown, facts: EndpointFacts): LlmError {
  if (isTimeout(error)) return new LlmError('timeout', `LLM endpoint ${facts.endpoint} stopped streaming the answer: nothing came for ${facts.timeoutMs / 1000} s`, { cause: error });
  const failure = toLlmError(error, facts);
  return failure.kind === 'bad_response' ? new LlmError('server_error', `LLM endpoint ${facts.endpoint} broke off the answer (${failure.message})`, { cause: error }) : failure;
}

/**
 * Aborts when nothing has arrived for `timeoutMs`: one timer for the whole stream, moved on only when
 * it fires (a chunk just records the time), so a stream of thousands of chunks sets a handful.
 */
class SilenceDeadline {
  readonly controller = new AbortController();
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Once the stream has begun: until its headers, the SDK's own time-out and retries apply. */
  start(): void {
    this.lastHeard = Date.now();
    this.timer = this.arm(this.timeoutMs);
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(ms: number): NodeJS.Timeout {
    // Unref'd: a stream its reader dropped must not keep the process up.
    return setTimeout(() => {
      const quiet = Date.now() - this.lastHeard;
      if (quiet < this.timeoutMs) this.timer = this.arm(this.timeoutMs - quiet);
      else this.controller.abort(new DOMException(`nothing streamed for ${this.timeoutMs} ms`, 'TimeoutError'));
    }, ms).unref();
  }
}

/**
 * One chat completion requested with `stream: true`, each content delta passed to `onContent` as it
 * arrives, the chunks assembled into the completion a non-streamed request would have given. The
 * whole stream may take any time; silence between two chunks may not exceed the endpoint's time-out.
 * Rejects only when the caller aborts (the SDK's APIUserAbortError); every endpoint failure comes
 * back as a StreamFailure, for the caller to fall back or to end the turn.
 */
export async function streamCompletion(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  options: { signal?: AbortSignal; onContent: (delta: string) => void },
  facts: EndpointFacts,
): Promise<StreamOutcome> {
  const assembled = new CompletionStream();
  const silence = new SilenceDeadline(facts.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, silence.controller.signal]) : silence.controller.signal;
  let begun = false;
  let delivered = false;
  try {
    // Usage comes in a last chunk only when asked for; the spans report tokens from it.
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
    begun = true;
    silence.start();
    for await (const chunk of stream) {
      silence.heard();
      const delta = assembled.add(chunk);
      if (delta === '') continue;
      delivered = true;
      options.onContent(delta);
    }
    // The SDK ends a stream quietly when its signal aborts: what arrived is not the whole answer.
    if (signal.aborted) throw signal.reason;
  } catch (raised) {
    // Our own deadline aborting reads to the SDK as the caller giving up; it is the endpoint's silence.
    const error = silence.controller.signal.aborted ? silence.controller.signal.reason : raised;
    if (error instanceof OpenAI.APIUserAbortError || options.signal?.aborted) throw new OpenAI.APIUserAbortError();
    if (error instanceof OpenAI.APIError && error.status !== undefined && REFUSED_STREAM_STATUSES.has(error.status)) return { ok: false, kind: 'refused', error };
    if (!begun) return { ok: false, kind: 'failed', error: toLlmError(error, facts) };
    if (!delivered) return { ok: false, kind: 'broken-before-content', error };
    return { ok: false, kind: 'broken-mid-answer', error: midAnswerError(error, facts) };
  } finally {
    silence.stop();
  }
  return { ok: true, completion: assembled.completion() };
}
