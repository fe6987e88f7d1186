import type { SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../../logging/logger.js';

/**
 * Whether the Socket Mode WebSocket is up, followed from the events of @slack/socket-mode 3's client.
 *
 * `connected` fires when Slack's `hello` arrives on a new connection (at start and after each
 * reconnect). A dropped connection is told at once only by `close`, which the client emits for every
 * closed WebSocket and on which it schedules its own reconnect; the documented `reconnecting` state
 * comes only when that attempt starts, `clientPingTimeout` (5 s) or more later. `disconnecting` marks a
 * shutdown the app asked for, which is not an outage.
 */
export class SocketModeConnection {
  private live = false;
  private dropped = false;
  private leaving = false;

  constructor(client: SocketModeReceiver['client'], log: Logger) {
    client.on('connected', () => {
      this.live = true;
      if (this.dropped) log.info('Slack Socket Mode connection back');
      this.dropped = false;
    });
    client.on('close', () => {
      const wasLive = this.live;
      this.live = false;
      if (!wasLive || this.leaving) return;
      this.dropped = true;
      log.warn('Slack Socket Mode connection lost; reconnecting');
    });
    client.on('disconnecting', () => {
      this.leaving = true;
      this.live = false;
    });
  }

  /** True from Slack's `hello` until the connection closes. */
  connected(): boolean {
    return this.live;
  }
}
