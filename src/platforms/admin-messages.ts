import type { Logger } from '../logging/logger.js';
import type { PlatformAdapter } from './types.js';

/**
 * Messages for whoever runs the bot (an authorization link, say), sent as a DM to the first admin in
 * ADMIN_USERS that a running platform can reach. Messages sent before the platforms are up wait for them.
 */
export class AdminMessages {
  private adapters: Promise<PlatformAdapter[]>;
  private attachAdapters: (adapters: PlatformAdapter[]) => void = () => undefined;

  constructor(
    private readonly admins: string[],
    private readonly log: Logger,
  ) {
    this.adapters = new Promise((resolve) => (this.attachAdapters = resolve));
  }

  /** The platforms are connected: waiting messages go out. */
  platformsStarted(adapters: PlatformAdapter[]): void {
    this.attachAdapters(adapters);
  }

  send(text: string): void {
    if (this.admins.length === 0) return;
    void this.deliver(text).catch((error: unknown) => this.log.warn({ err: error }, 'admin message failed'));
  }

  private async deliver(text: string): Promise<void> {
    const adapters = await this.adapters;
    for (const admin of this.admins) {
      for (const adapter of adapters) {
        if (await adapter.sendDirectMessage?.(admin, text)) {
          this.log.info({ admin, platform: adapter.platform }, 'admin message sent');
          return;
        }
      }
    }
    this.log.warn({ admins: this.admins }, 'no admin in ADMIN_USERS could be reached; the message is only in the logs');
  }
}
