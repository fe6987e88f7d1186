import { randomUUID } from 'node:crypto';
import type { RedisClientType } from '@keyv/redis';
import type { Logger } from '../logging/logger.js';
import type { MessageBus } from './types.js';

/** The node-redis client behind a Redis store: no modules, functions or scripts, RESP2, as `createClient` builds it. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type RedisClient = RedisClientType<{}, {}, {}, 2, {}>;

/** A request as it travels: `replyTo` is the asking process, `id` pairs the reply with the wait. */
interface RequestEnvelope {
  id: string;
  replyTo: string;
  body: unknown;
}

interface ReplyEnvelope {
  id: string;
  body: unknown;
}

const isRequest = (message: unknown): message is RequestEnvelope =>
  typeof message === 'object' && message !== null && typeof (message as RequestEnvelope).id === 'string' && typeof (message as RequestEnvelope).replyTo === 'string';

const isReply = (message: unknown): message is ReplyEnvelope => typeof message === 'object' && message !== null && typeof (message as ReplyEnvelope).id === 'string';

/**
 * The message bus of processes sharing one Redis: PUBLISH on the store's own client, SUBSCRIBE on a
 * duplicate of it (a subscribed Redis connection takes no other commands). Channels are named
 * `<namespace>:bus:<channel>`: Redis pub/sub ignores database numbers, so the namespace alone keeps
 * bots sharing a Redis apart. Replies to this process's requests arrive on its own reply channel.
 */
export class RedisMessageBus implements MessageBus {
  readonly processId = randomUUID();
  private readonly subscriber: RedisClient;
  /** Requests of this process waiting for their reply, by request id. */
  private readonly waiting = new Map<string, (reply: unknown) => void>();

  constructor(
    private readonly client: RedisClient,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.subscriber = client.duplicate();
    // Without a listener, a dropped connection would be an unhandled 'error' and end the process.
    this.subscriber.on('error', (error: unknown) => this.log.warn({ err: error }, 'message bus connection error'));
  }

  /** Connects the subscriber and starts listening for replies. */
  async open(): Promise<void> {
    await this.subscriber.connect();
    await this.subscribe(this.replyChannel(this.processId), (message) => {
      if (isReply(message)) this.waiting.get(message.id)?.(message.body);
    });
  }

  publish(channel: string, message: unknown): Promise<number> {
    return this.client.publish(this.channel(channel), JSON.stringify(message));
  }

  async subscribe(channel: string, listener: (message: unknown) => void): Promise<() => Promise<void>> {
    const name = this.channel(channel);
    const onMessage = (raw: string) => {
      let message: unknown;
      try {
        message = JSON.parse(raw);
      } catch {
        this.log.warn({ channel }, 'message bus message is not JSON; ignored');
        return;
      }
      listener(message);
    };
    await this.subscriber.subscribe(name, onMessage);
    return async () => {
      if (this.subscriber.isOpen) await this.subscriber.unsubscribe(name, onMessage);
    };
  }

  async listeners(channel: string): Promise<number> {
    const name = this.channel(channel);
    return (await this.client.pubSubNumSub(name))[name] ?? 0;
  }

  request(channel: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const finish = (reply: unknown) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.waiting.set(id, finish);
      this.publish(channel, { id, replyTo: this.processId, body } satisfies RequestEnvelope).then(
        (heard) => {
          if (heard === 0) finish(undefined);
        },
        (error: unknown) => {
          this.log.warn({ err: error, channel }, 'message bus request could not be sent');
          finish(undefined);
        },
      );
    });
  }

  serve(channel: string, handler: (body: unknown) => Promise<unknown>): Promise<() => Promise<void>> {
    return this.subscribe(channel, (message) => {
      if (!isRequest(message)) return;
      handler(message.body)
        .then((reply) => this.publish(this.replyChannel(message.replyTo), { id: message.id, body: reply } satisfies ReplyEnvelope))
        .catch((error: unknown) => this.log.warn({ err: error, channel }, 'message bus request could not be answered'));
    });
  }

  /** Ends every wait for a reply (as unanswered) and drops the subscriber connection. */
  async close(): Promise<void> {
    for (const finish of [...this.waiting.values()]) finish(undefined);
    if (this.subscriber.isOpen) this.subscriber.destroy();
  }

  private channel(channel: string): string {
    return `${this.namespace}:bus:${channel}`;
  }

  private replyChannel(processId: string): string {
    return `reply:${processId}`;
  }
}
