import type Keyv from 'keyv';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../logging/logger.js';
import { redisClientOf } from '../store/index.js';

const WINDOW_SECONDS = 60;

/**
 * At most `perMinute` messages per person in each minute, counted from their first message of that
 * minute (a fixed window per person: at its edge, up to twice the limit may pass within a minute).
 * On a Redis store the count is Redis's, shared by every bot process on it, so several processes
 * admit a person as one would; elsewhere (one process) it is kept in memory. While Redis cannot be
 * reached, each process counts in its own memory instead rather than refusing everyone.
 */
export class RateLimiter {
  private readonly limiter: RateLimiterAbstract | undefined;

  /** @param perMinute 0 means no limit */
  constructor(
    perMinute: number,
    private readonly log: Logger,
    kv?: Keyv,
  ) {
    if (perMinute <= 0) return;
    const window = { points: perMinute, duration: WINDOW_SECONDS };
    const client = kv && redisClientOf(kv);
    this.limiter = client
      ? new RateLimiterRedis({ ...window, storeClient: client, useRedisPackage: true, keyPrefix: `${kv.namespace ?? ''}:rate`, insuranceLimiter: new RateLimiterMemory(window) })
      : new RateLimiterMemory(window);
  }

  /** Records the attempt and says whether it is within the limit. */
  async allow(personId: string): Promise<boolean> {
    if (!this.limiter) return true;
    try {
      await this.limiter.consume(personId);
      return true;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return false;
      // Neither Redis nor memory could count: letting a message through beats refusing everyone.
      this.log.warn({ err: refusal }, 'rate limit could not be checked; the message is let through');
      return true;
    }
  }
}
