import { RESTEvents, type REST } from 'discord.js';

/** A message's edits share one rate-limit bucket per channel (or per interaction webhook): its path without the message id. */
const bucketOf = (path: string) => path.replace(/^\/api\/v\d+/, '').replace(/\?.*$/, '').replace(/\/[^/]+$/, '');

/**
 * When the bot may next edit messages, from the rate-limit state discord.js reports on its REST client:
 * a response that leaves a bucket empty (`X-RateLimit-Remaining: 0`, free again after
 * `X-RateLimit-Reset-After` seconds) and the waits discord.js itself announces (`rateLimited`, after
 * a 429 or before a request it holds back). discord.js queues and retries on its own; knowing this lets
 * a streamed answer skip the edits that would only wait in that queue and send the latest text instead.
 * Keys hold interaction tokens (webhook paths), so they are never logged.
 */
export class RestPacing {
  private readonly freeAt = new Map<string, number>();

  constructor(rest: REST) {
    rest.on(RESTEvents.Response, (request, response) => {
      if (request.method.toUpperCase() !== 'PATCH' || response.headers.get('x-ratelimit-remaining') !== '0') return;
      const resetAfterS = Number(response.headers.get('x-ratelimit-reset-after'));
      if (Number.isFinite(resetAfterS)) this.hold(request.path, resetAfterS * 1_000);
    });
    rest.on(RESTEvents.RateLimited, (info) => {
      if (info.method.toUpperCase() === 'PATCH') this.hold(new URL(info.url).pathname, info.timeToReset);
    });
  }

  /** Epoch ms before which an edit of the message at `path` (e.g. `/channels/1/messages/2`) would wait for its bucket; 0 when it need not. */
  editableAt(path: string): number {
    const at = this.freeAt.get(bucketOf(path)) ?? 0;
    if (at <= Date.now()) this.freeAt.delete(bucketOf(path));
    return at;
  }

  private hold(path: string, ms: number): void {
    const now = Date.now();
    // Buckets nobody asks about again (an /ask's webhook, whose token is used once) go once they are free.
    for (const [key, at] of this.freeAt) if (at <= now) this.freeAt.delete(key);
    const bucket = bucketOf(path);
    this.freeAt.set(bucket, Math.max(this.freeAt.get(bucket) ?? 0, now + ms));
  }
}
