import type Keyv from 'keyv';
import type { ChatMessage } from '../llm/types.js';
import { ATTR, inSpan, SpanKind } from '../observability/tracing.js';
import type { HistoryFencing } from './history-fencing.js';
import { FencedOutError, type HistoryStore } from './types.js';

/** Other features share the Keyv with their own prefixes; this one keeps a thread key from meeting theirs. */
const key = (threadKey: string) => `history:${threadKey}`;

/** A thread's history as one value with a time-to-live, restarted on every save; fenced where `fencing` is given (a shared Redis). */
export class KeyvHistoryStore implements HistoryStore {
  /**
   * @param system the backend as OpenTelemetry's database conventions name it (`db.system.name`:
   *   `sqlite`, `redis`, `postgresql`, or `memory`), for the spans of reads and writes
   */
  constructor(
    private readonly kv: Keyv,
    private readonly ttlMs: number,
    private readonly system = 'memory',
    private readonly fencing?: HistoryFencing,
  ) {
    if (fencing) this.fence = (threadKey) => this.traced('fence', () => fencing.next(threadKey));
  }

  fence?: (threadKey: string) => Promise<number>;

  get(threadKey: string): Promise<ChatMessage[]> {
    return this.traced('get', async () => ((await this.kv.get<ChatMessage[]>(key(threadKey))) as ChatMessage[] | undefined) ?? []);
  }

  set(threadKey: string, messages: ChatMessage[], fence?: number): Promise<void> {
    return this.traced('set', async () => {
      if (fence === undefined || !this.fencing) {
        await this.kv.set(key(threadKey), messages, this.ttlMs);
      } else if (!(await this.fencing.write(threadKey, key(threadKey), messages, this.ttlMs, fence))) {
        throw new FencedOutError(threadKey);
      }
    });
  }

  delete(threadKey: string): Promise<void> {
    return this.traced('delete', async () => {
      await this.kv.delete(key(threadKey));
    });
  }

  /** A database client span named `{operation} history`, as the database conventions name spans. */
  private traced<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const attributes = { [ATTR.dbSystem]: this.system, [ATTR.dbOperation]: operation, [ATTR.dbCollection]: 'history' };
    return inSpan(`${operation} history`, { kind: SpanKind.CLIENT, attributes }, run);
  }
}
