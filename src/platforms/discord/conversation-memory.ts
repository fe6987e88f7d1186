import type Keyv from 'keyv';

const answerKey = (messageId: string) => `discord-answer:${messageId}`;
const postKey = (threadId: string) => `discord-post:${threadId}`;

/**
 * What the bot remembers about where its conversations are, in the shared store so every instance and
 * a restarted bot know it, for as long as a conversation's history is kept (`ttlMs`):
 * - which conversation each message it posted belongs to, so a Discord reply to an answer outside a
 *   thread of its own (a channel, an `/ask` answer) continues that conversation;
 * - the forum posts it was asked in, whose later messages are for it without a mention (a post
 *   belongs to the member who made it, so ownership cannot tell).
 */
export class ConversationMemory {
  constructor(
    private readonly kv: Keyv,
    private readonly ttlMs: number,
  ) {}

  /** Records that the bot's message `messageId` is part of `threadKey`. */
  async rememberAnswer(messageId: string, threadKey: string): Promise<void> {
    await this.kv.set(answerKey(messageId), threadKey, this.ttlMs);
  }

  /** The conversation of one of the bot's messages; undefined when it was never recorded or has expired. */
  async conversationOfAnswer(messageId: string): Promise<string | undefined> {
    const threadKey: unknown = await this.kv.get(answerKey(messageId));
    return typeof threadKey === 'string' ? threadKey : undefined;
  }

  /** Later messages in this forum post are for the bot; each turn there starts the time-to-live again. */
  async joinPost(threadId: string): Promise<void> {
    await this.kv.set(postKey(threadId), true, this.ttlMs);
  }

  async inPost(threadId: string): Promise<boolean> {
    return (await this.kv.get(postKey(threadId))) === true;
  }
}
