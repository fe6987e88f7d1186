import type { AccessPolicy } from '../access/index.js';
import { checkPersonalServers, ConfigError, loadServersConfig, type ServerConfig, type TokenEncryptionSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { McpPool, ServerChanges, ServerState } from '../mcp/index.js';

/** What one reload came to: the changes, or why the file was refused (the running servers stay). */
export type ReloadOutcome =
  | {
      ok: true;
      changes: ServerChanges;
      /** Added or restarted servers that are not up (failed to start, waiting for authorization), with their state. */
      notReady: Record<string, ServerState>;
    }
  | { ok: false; error: string };

export interface ServersReloadOptions {
  /** The servers file (MCP_CONFIG), read with the loader start-up uses. */
  file: string;
  /** Where `${VAR}` in the file is taken from, as at start-up. */
  env: Record<string, string | undefined>;
  pool: McpPool;
  /** Its per-server allow lists and confirmTools follow the file. */
  access: AccessPolicy;
  /** Platform user ids that may run /reload (ADMIN_USERS). */
  admins: string[];
  /** TOKEN_ENCRYPTION_KEY as at start-up: a file adding a per-person server without it is refused. */
  tokenEncryption: TokenEncryptionSettings | undefined;
  logger: Logger;
}

/**
 * The servers file read again while the bot runs, by a change to it or an admin's `/reload`: checked as
 * at start-up, then applied to the pool (see McpPool.apply) and the access policy together. A file that
 * does not load is refused with the start-up error, and the servers running stay as they are.
 */
export class ServersReload {
  private readonly log: Logger;
  /** One reload at a time, so the file read last is also the one applied last. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ServersReloadOptions) {
    this.log = options.logger.child({ file: options.file });
  }

  /** ADMIN_USERS, by platform user id; the console's operator may always. */
  mayReload(asker: { userId: string; operator?: boolean }): boolean {
    return asker.operator === true || this.options.admins.includes(asker.userId);
  }

  /** Never rejects. `by` says what asked (`file change`, `slack:U123`…), for the logs. */
  reload(by: string): Promise<ReloadOutcome> {
    const outcome = this.running.then(() => this.reloadNow(by));
    this.running = outcome;
    return outcome;
  }

  private async reloadNow(by: string): Promise<ReloadOutcome> {
    let servers: ServerConfig[];
    try {
      servers = await loadServersConfig(this.options.file, this.options.env);
      checkPersonalServers(servers, this.options, this.options.file);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : `${this.options.file}: ${(error as Error).message}`;
      this.log.error({ by, reason: message }, 'servers file refused; the running servers stay');
      return { ok: false, error: message };
    }
    try {
      const changes = await this.options.pool.apply(servers, () => this.options.access.setServers(servers));
      const states = this.options.pool.serverStates();
      const notReady = Object.fromEntries([...changes.added, ...changes.restarted].filter((name) => states[name] !== 'ready').map((name) => [name, states[name] ?? 'failed']));
      this.log.info({ by, ...changes }, 'servers file reloaded');
      return { ok: true, changes, notReady };
    } catch (error) {
      const message = (error as Error).message;
      this.log.warn({ by, reason: message }, 'servers file not applied');
      return { ok: false, error: message };
    }
  }
}
