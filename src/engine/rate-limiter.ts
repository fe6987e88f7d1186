const WINDOW_MS = 60_000;

/**
 * At most `perMinute` messages per person in any sliding minute, kept in memory. Each instance counts
 * its own share: with several replicas a person can get up to that many times the limit.
 */
export class RateLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records the attempt and says whether it is within the limit; 0 means no limit. */
  allow(personId: string, now = Date.now()): boolean {
    if (this.perMinute <= 0) return true;
    const since = now - WINDOW_MS;
    const times = (this.recent.get(personId) ?? []).filter((time) => time > since);
    const allowed = times.length < this.perMinute;
    if (allowed) times.push(now);
    this.recent.set(personId, times);
    if (this.recent.size > 10_000) this.forgetIdle(since);
    return allowed;
  }

  private forgetIdle(since: number): void {
    for (const [person, times] of this.recent) if (!times.some((time) => time > since)) this.recent.delete(person);
  }
}
