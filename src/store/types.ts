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

/** One connection to the configured backend, shared by every feature that keeps state. */
export interface Store {
  history: HistoryStore;
  /** Raw key-value access for other state (event de-duplication, confirmations, tokens); callers prefix their keys. */
  kv: Keyv;
  /** True when the backend answers a round trip. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
