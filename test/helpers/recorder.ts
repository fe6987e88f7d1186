import { EventEmitter } from 'node:events';

// Taken before any test installs fake timers, so a wait still times out while a test moves a fake clock.
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;

/**
 * Keeps everything a fake saw, in order, and lets a test wait for the first item matching a predicate
 * (already seen or still to come) with a time-out, instead of sleeping.
 */
export class Recorder<T> {
  readonly items: T[] = [];
  private readonly events = new EventEmitter();

  push(item: T): void {
    this.items.push(item);
    this.events.emit('item', item);
  }

  clear(): void {
    this.items.length = 0;
  }

  filter(predicate: (item: T) => boolean): T[] {
    return this.items.filter(predicate);
  }

  waitFor(predicate: (item: T) => boolean, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const seen = this.items.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const onItem = (item: T) => {
        if (!predicate(item)) return;
        realClearTimeout(timer);
        this.events.off('item', onItem);
        resolve(item);
      };
      const timer = realSetTimeout(() => {
        this.events.off('item', onItem);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a matching item'} (saw ${this.items.length})`));
      }, timeoutMs);
      this.events.on('item', onItem);
    });
  }
}
