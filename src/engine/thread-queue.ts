import PQueue from 'p-queue';

/**
 * One turn at a time per thread, any number of threads at once. A thread's queue exists only while it
 * has work, so ten thousand quiet threads cost nothing.
 */
export class ThreadQueue {
  private readonly queues = new Map<string, PQueue>();

  run<T>(threadKey: string, task: () => Promise<T>): Promise<T> {
    let queue = this.queues.get(threadKey);
    if (!queue) {
      const created = new PQueue({ concurrency: 1 });
      created.on('idle', () => {
        if (this.queues.get(threadKey) === created && created.size === 0 && created.pending === 0) this.queues.delete(threadKey);
      });
      this.queues.set(threadKey, created);
      queue = created;
    }
    return queue.add(task);
  }

  /**
   * A place at the end of the thread's queue, taken now and filled later: `run` puts the task there
   * (resolving when it has run), `release` gives the place up and the tasks behind it move up. One of
   * the two must be called, or the thread waits for ever.
   */
  reserve(threadKey: string): QueuePlace {
    let fill!: (task: (() => Promise<void>) | undefined) => void;
    const filled = new Promise<(() => Promise<void>) | undefined>((resolve) => (fill = resolve));
    const done = this.run(threadKey, async () => {
      const task = await filled;
      if (task) await task();
    });
    return {
      run: (task) => {
        fill(task);
        return done;
      },
      release: () => fill(undefined),
    };
  }

  /** Turns waiting or running in all threads. */
  get inFlight(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.size + queue.pending;
    return total;
  }

  /** Resolves true once every queued turn has finished, false if `timeoutMs` passes first. */
  async idle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const allIdle = (async () => {
      while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((queue) => queue.onIdle()));
      return true as const;
    })();
    try {
      return await Promise.race([allIdle, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** See ThreadQueue.reserve. */
export interface QueuePlace {
  run(task: () => Promise<void>): Promise<void>;
  release(): void;
}
