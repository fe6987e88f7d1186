import type Keyv from 'keyv';
import type { ChatMessage } from '../llm/types.js';
import type { HistoryStore } from './types.js';

/** Other features share the Keyv with their own prefixes; this one keeps a thread key from meeting theirs. */
const key = (threadKey: string) => `history:${threadKey}`;

/** A thread's history as one value with a time-to-live, restarted on every save. */
export class KeyvHistoryStore implements HistoryStore {
  constructor(
    private readonly kv: Keyv,
    private readonly ttlMs: number,
  ) {}

  async get(threadKey: string): Promise<ChatMessage[]> {
    return ((await this.kv.get<ChatMessage[]>(key(threadKey))) as ChatMessage[] | undefined) ?? [];
  }

  async set(threadKey: string, messages: ChatMessage[]): Promise<void> {
    await this.kv.set(key(threadKey), messages, this.ttlMs);
  }

  async delete(threadKey: string): Promise<void> {
    await this.kv.delete(key(threadKey));
  }
}
