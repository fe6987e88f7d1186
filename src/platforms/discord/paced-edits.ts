/**
 * One message's edits while its text keeps changing: the latest content is written at most once per
 * `intervalMs` after the previous write (message edits share a channel's rate limit with everything
 * else the bot posts there), and not before `heldUntil()` (the REST bucket, see RestPacing). Contents requested
 * in between are dropped for the newest; `write` never rejects (it logs its own failures).
 */
export class PacedEdits {
  private wanted: string;
  private written: string;
  private lastWriteAt: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private idle: { promise: Promise<void>; resolve: () => void } | undefined;
  private disposed = false;

  /** `content`: what the message shows now, just posted. */
  constructor(
    content: string,
    private readonly write: (content: string) => Promise<void>,
    private readonly heldUntil: () => number,
    private readonly intervalMs: number,
  ) {
    this.wanted = this.written = content;
    this.lastWriteAt = Date.now();
  }

  request(content: string): void {
    this.wanted = content;
    this.schedule();
  }

  /** Resolves once the message shows the latest requested content (or its write failed). */
  settled(): Promise<void> {
    if ((this.disposed || this.wanted === this.written) && !this.writing) return Promise.resolve();
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }

  /** Drops any edit not yet sent; the turn is over or the message was taken for something else. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.writing) this.resolveIdle();
  }

  private schedule(): void {
    if (this.timer || this.writing) return;
    if (this.disposed || this.wanted === this.written) return this.resolveIdle();
    const at = Math.max(this.lastWriteAt + this.intervalMs, this.heldUntil());
    this.timer = setTimeout(() => this.send(), Math.max(0, at - Date.now()));
  }

  private send(): void {
    this.timer = undefined;
    const content = this.wanted;
    this.lastWriteAt = Date.now();
    this.writing = this.write(content).finally(() => {
      this.written = content;
      this.writing = undefined;
      this.schedule();
    });
  }

  private resolveIdle(): void {
    this.idle?.resolve();
    this.idle = undefined;
  }
}
