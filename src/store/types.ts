import type Keyv from 'keyv';
import type { ChatMessage } from '../llm/types.js';

export interface HistoryStore {
  get(threadKey: string): Promise<ChatMessage[]>;
  /** Replaces the thread's history and restarts its time-to-live. */
  set(threadKey: string, messages: ChatMessage[]): Promise<void>;
  delete(threadKey: string): Promise<void>;
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
