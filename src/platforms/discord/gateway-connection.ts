import { Events, type Client, type CloseEvent } from 'discord.js';
import type { Logger } from '../../logging/logger.js';

/**
 * Which of the client's shards hold a live gateway connection, followed from discord.js's shard events.
 *
 * `client.isReady()` cannot tell: it turns true at the first READY and stays true whatever the gateway
 * does after. In discord.js 14 a shard whose connection closes emits `shardReconnecting` (each time
 * @discordjs/ws tries again, every 500 ms while Discord turns it away) or, for a close code it will not
 * recover from, `shardDisconnect`; it is back on `shardResume` (session resumed) or `shardReady`
 * (new session after IDENTIFY).
 */
export class GatewayConnection {
  private readonly liveShards = new Set<number>();
  /** Shards that were live and dropped, so their return is logged as a recovery and not as start-up. */
  private readonly droppedShards = new Set<number>();

  private readonly onReady = (shard: number) => this.up(shard, {});
  private readonly onResume = (shard: number, replayed: number) => this.up(shard, { replayed });
  private readonly onReconnecting = (shard: number) => this.down(shard, {}, 'Discord gateway connection lost; discord.js is reconnecting');
  private readonly onDisconnect = (event: CloseEvent, shard: number) =>
    this.down(shard, { code: event.code }, 'Discord gateway connection lost; discord.js will not reconnect with this close code');

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
  ) {
    client.on(Events.ShardReady, this.onReady);
    client.on(Events.ShardResume, this.onResume);
    client.on(Events.ShardReconnecting, this.onReconnecting);
    client.on(Events.ShardDisconnect, this.onDisconnect);
  }

  /** True while at least one shard is connected: Discord can then deliver the bot's events. */
  connected(): boolean {
    return this.liveShards.size > 0;
  }

  /** Stops following before the client is destroyed on purpose, so a shutdown is not logged as an outage. */
  dispose(): void {
    this.client.off(Events.ShardReady, this.onReady);
    this.client.off(Events.ShardResume, this.onResume);
    this.client.off(Events.ShardReconnecting, this.onReconnecting);
    this.client.off(Events.ShardDisconnect, this.onDisconnect);
    this.liveShards.clear();
  }

  private up(shard: number, fields: { replayed?: number }): void {
    this.liveShards.add(shard);
    if (this.droppedShards.delete(shard)) this.log.info({ shard, ...fields }, 'Discord gateway connection back');
  }

  private down(shard: number, fields: { code?: number }, message: string): void {
    if (!this.liveShards.delete(shard)) return;
    this.droppedShards.add(shard);
    this.log.warn({ shard, ...fields, shardsConnected: this.liveShards.size }, message);
  }
}
