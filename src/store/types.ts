import type Keyv from 'keyv';
import type { ChatMessage } from '../llm/types.js';

export interface HistoryStore {
  get(threadKey: string): Promise<ChatMessage[]>;
  /**
   * Replaces the thread's history and restarts its time-to-live. With `fence` (from `fence`), only
   * while no later turn of the thread has taken one.
   * @throws FencedOutError when a later turn took the thread (this process lost its lease)
   */
  set(threadKey: string, messages: ChatMessage[], fence?: number): Promise<void>;
  delete(threadKey: string): Promise<void>;
  /**
   * Where several processes share the store (Redis): a token, larger than any before, that a turn
   * takes as it starts and passes to `set`, so a turn that lost its thread to another process cannot
   * overwrite the newer history (a fencing token). Absent where one process owns the store.
   */
  fence?(threadKey: string): Promise<number>;
}

/** A history write from a turn that no longer holds its thread: another process took it over. */
export class FencedOutError extends Error {
  constructor(threadKey: string) {
    super(`history of ${threadKey} not written: a later turn holds the thread`);
    this.name = 'FencedOutError';
  }
}

/**
 * Messages between the bot processes sharing one store, so they behave as one: an answer or a Cancel
 * pressed on one process reaches the process whose turn waits for it. Delivery is at most once and
 * only to processes listening at that moment (Redis pub/sub): nothing is queued for a process that is
 * down. Messages are JSON values. Channels are this store's own (its namespace), so bots sharing one
 * Redis under different namespaces never hear each other.
 */
export interface MessageBus {
  /** This process on the bus: random, new each time the store is opened, so a restarted process is a new one. */
  readonly processId: string;
  /** Sends `message` to every process listening on `channel` now; resolves with how many there were (0: nobody heard it). */
  publish(channel: string, message: unknown): Promise<number>;
  /** Calls `listener` with each message on `channel` until the returned function is called. */
  subscribe(channel: string, listener: (message: unknown) => void): Promise<() => Promise<void>>;
  /** How many processes listen on `channel` now: 0 once the process that did has stopped or died. */
  listeners(channel: string): Promise<number>;
  /**
   * Asks the process serving `channel` (see `serve`) and resolves with its reply; undefined when no
   * process listens there or none replies within `timeoutMs` (it died, or hangs).
   */
  request(channel: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /**
   * Answers each request on `channel` with what `handler` returns, until the returned function is
   * called. A handler that throws sends no reply (the requester's wait runs out); it is logged.
   */
  serve(channel: string, handler: (body: unknown) => Promise<unknown>): Promise<() => Promise<void>>;
}

/** One connection to the configured backend, shared by every feature that keeps state. */
export interface Store {
  history: HistoryStore;
  /** Raw key-value access for other state (event de-duplication, confirmations, tokens); callers prefix their keys. */
  kv: Keyv;
  /**
   * Where several processes share the store (Redis): messages between them. Absent on SQLite,
   * PostgreSQL and memory, which serve one process. Closed with the store.
   */
  bus?: MessageBus;
  /** True when the backend answers a round trip. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts serving `channel` on the bus, where there is one: resolves once this process hears requests
 * forwarded by others, and at once without a bus. A failure is logged as `what` cannot reach this
 * process; what is asked here still works here.
 */
export function serveForwarded(bus: MessageBus | undefined, channel: (processId: string) => string, handler: (body: unknown) => Promise<unknown>, log: { warn(fields: object, message: string): void }, what: string): Promise<void> {
  if (!bus) return Promise.resolve();
  return bus.serve(channel(bus.processId), handler).then(
    () => undefined,
    (error: unknown) => log.warn({ err: error }, `${what} from other processes cannot reach this one`),
  );
}
