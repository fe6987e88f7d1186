/**
 * The calls of one Web API method from every answer in a workspace, spaced to the method's rate tier:
 * Slack counts calls per workspace and method (https://docs.slack.dev/apis/web-api/rate-limits), so
 * answers streaming at once share the allowance instead of each taking all of it.
 */
export class RateTier {
  private nextFree = 0;

  /** `perMinute`: the tier's allowance (tier 4: about 100). */
  constructor(private readonly perMinute: number) {}

  /**
   * Takes the slot when it is free now and returns 0; else returns how many milliseconds until it is,
   * taking nothing: a caller that gives up meanwhile (its answer ended) wastes none of the allowance.
   */
  take(): number {
    const now = Date.now();
    if (now < this.nextFree) return this.nextFree - now;
    this.nextFree = now + 60_000 / this.perMinute;
    return 0;
  }
}
