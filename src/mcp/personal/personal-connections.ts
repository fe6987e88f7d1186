import { LRUCache } from 'lru-cache';
import type { PersonalConnectionSettings, RemoteServerConfig } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import type { OAuthConfig } from '../auth/oauth-provider.js';
import type { ServerConnectionOptions } from '../server-connection.js';
import { ServerInstances } from '../server-instances.js';
import { PersonalOAuthProvider, type PersonalOAuthHost } from './personal-oauth-provider.js';

/** One person's open connection to one per-person server. */
export interface PersonalConnection {
  server: string;
  person: string;
  instances: ServerInstances;
  /** Its OAuth hooks; `link` is set once the person has to connect again. */
  provider: PersonalOAuthProvider;
  /** Settles once the connection is up or has failed; never rejects. */
  ready: Promise<ConnectionOutcome>;
}

/** `link`: the person has to connect again (their tokens were refused and could not be refreshed). */
export type ConnectionOutcome = { ok: true } | { ok: false; reason: string; link?: URL };

export interface PersonalConnectionsOptions {
  settings: PersonalConnectionSettings;
  connection: Omit<ServerConnectionOptions, 'onEvent' | 'authProvider'>;
  host: PersonalOAuthHost;
  logger: Logger;
}

/**
 * The connections of per-person servers, one per (server, person), each with that person's own
 * tokens: opened on first use, closed after `idleMs` without use, and at most `maxConnections` open,
 * the least recently used closed first (lru-cache). A connection closed while calls run on it closes
 * when they end (or after the server's tool time-out). A connection whose person has to connect again
 * is dropped at once, so no call goes on with tokens that stopped working.
 */
export class PersonalConnections {
  private readonly open: LRUCache<string, PersonalConnection>;

  constructor(private readonly options: PersonalConnectionsOptions) {
    this.open = new LRUCache<string, PersonalConnection>({
      max: options.settings.maxConnections,
      ttl: options.settings.idleMs,
      updateAgeOnGet: true,
      ttlAutopurge: true,
      dispose: (connection, _key, reason) => void this.closeLater(connection, reason),
    });
  }

  /** Connections open now, all servers and people together. */
  get size(): number {
    return this.open.size;
  }

  /** The person's connection to the server, opened when there is none; counts as a use. */
  async connect(config: RemoteServerConfig, person: string): Promise<{ connection: PersonalConnection; outcome: ConnectionOutcome }> {
    const key = keyOf(config.name, person);
    let connection = this.open.get(key);
    if (!connection) this.open.set(key, (connection = this.opened(config, person)));
    const outcome = await connection.ready;
    if (!outcome.ok) this.drop(connection);
    return { connection, outcome };
  }

  /** Whether the person's connection is open, without counting as a use. */
  has(server: string, person: string): boolean {
    return this.open.has(keyOf(server, person));
  }

  /** Closes the person's connection to the server, if open. */
  close(server: string, person: string): void {
    this.open.delete(keyOf(server, person));
  }

  /** Closes every connection to the server (removed or changed in the servers file). */
  closeServer(server: string): void {
    for (const connection of [...this.open.values()]) if (connection.server === server) this.drop(connection);
  }

  /** Closes every connection; resolves when they are closed. */
  async closeAll(): Promise<void> {
    const connections = [...this.open.values()];
    this.open.clear();
    await Promise.all(connections.map((connection) => connection.instances.close()));
  }

  private opened(config: RemoteServerConfig, person: string): PersonalConnection {
    const log = this.options.logger.child({ server: config.name, person });
    let failure: string | undefined;
    const provider = new PersonalOAuthProvider(config.name, config.auth as OAuthConfig, person, this.options.host, log, undefined, () => {
      log.warn('the person’s tokens were refused and could not be refreshed; they are asked to connect again');
      this.drop(connection);
    });
    const instances = new ServerInstances(config, {
      ...this.options.connection,
      logger: this.options.logger.child({ person }),
      authProvider: provider,
      onEvent: (type, details) => {
        if (type === 'failed') failure = details?.reason;
      },
    });
    const connection: PersonalConnection = {
      server: config.name,
      person,
      instances,
      provider,
      ready: instances.start().then((): ConnectionOutcome => {
        if (instances.state === 'ready') return { ok: true };
        return { ok: false, reason: failure ?? `server "${config.name}" is ${instances.state}`, ...(provider.link ? { link: provider.link } : {}) };
      }),
    };
    return connection;
  }

  private drop(connection: PersonalConnection): void {
    const key = keyOf(connection.server, connection.person);
    if (this.open.peek(key) === connection) this.open.delete(key);
    else void connection.instances.close();
  }

  private async closeLater(connection: PersonalConnection, reason: LRUCache.DisposeReason): Promise<void> {
    const log = this.options.logger.child({ server: connection.server, person: connection.person });
    if (reason === 'evict' || reason === 'expire') log.info({ reason: reason === 'evict' ? 'MCP_USER_CONNECTIONS_MAX reached: least recently used' : 'idle' }, 'personal connection closed');
    const graceMs = connection.instances.config.timeoutMs ?? this.options.connection.defaultToolTimeoutMs;
    await connection.instances.retire(graceMs);
  }
}

function keyOf(server: string, person: string): string {
  return `${server}\n${person}`;
}
