import type { Logger } from '../../logging/logger.js';

/** The turns an adapter has started, so stopping can wait for them (bounded) before disconnecting. */
export class InFlightTurns {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` in the background; its failure is logged, never thrown into the platform library. */
  track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.log.error({ err: error }, 'unhandled error in a platform handler'));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  /** Resolves when every tracked turn has finished or `timeoutMs` has passed. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }
}
