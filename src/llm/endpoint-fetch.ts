type Fetch = typeof fetch;

/** Statuses whose Response may carry no body at all. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** How long the endpoint asks to wait before a retry, read the way the openai SDK reads it. */
export function retryAfterMs(headers: Headers): number | undefined {
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(milliseconds)) return milliseconds;
  const header = headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number.parseFloat(header);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

function isEventStream(response: Response): boolean {
  return response.ok && response.body !== null && (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
}

/**
 * The fetch the openai SDK uses, closing two gaps in it. Its time-out stops once headers arrive,
 * so a body that stalls would hang the turn: here the deadline covers the whole response, except a
 * streamed one (`text/event-stream`), which is passed on as it arrives (a long answer may stream for
 * longer than `timeoutMs`; its reader bounds the silence between chunks, see streamCompletion). And
 * the SDK sleeps as long as retry-after says, even hours when a daily quota is spent: a longer wait
 * than `maxRetryWaitMs` is marked not retryable (`x-should-retry: false`, which the SDK obeys) and
 * reported instead.
 */
export function endpointFetch(limits: { timeoutMs: number; maxRetryWaitMs: number }, base: Fetch = fetch): Fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    // Unref'd, as AbortSignal.timeout is; cleared once a stream's headers are in, so it never cuts a stream short.
    const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${limits.timeoutMs} ms`, 'TimeoutError')), limits.timeoutMs).unref();
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      const response = await base(input, { ...init, signal });
      if (isEventStream(response)) {
        clearTimeout(timer);
        return response;
      }
      const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
      const headers = new Headers(response.headers);
      const wait = retryAfterMs(headers);
      if (wait !== undefined && wait > limits.maxRetryWaitMs) headers.set('x-should-retry', 'false');
      return new Response(body, { status: response.status, statusText: response.statusText, headers });
    } finally {
      clearTimeout(timer);
    }
  };
}
