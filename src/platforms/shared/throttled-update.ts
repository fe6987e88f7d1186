/**
 * Applies the latest of a burst of updates at most once per interval, so a progress message is
 * edited in place without running into platform rate limits.
 */
export class ThrottledUpdate {
  private latest: string | undefined;
  private lastAppliedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly apply: (text: string) => Promise<unknown>,
  ) {}

  /** Records that the message was just written some other way (e.g. first posted). */
  touched(): void {
    this.lastAppliedAt = Date.now();
  }

  request(text: string): void {
    this.latest = text;
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.lastAppliedAt = Date.now();
        this.pending = this.apply(this.latest ?? text);
      },
      Math.max(0, this.lastAppliedAt + this.intervalMs - Date.now()),
    );
  }

  /** Drops any update not yet applied and waits for the one in progress, before the final write. */
  async settle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pending;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
