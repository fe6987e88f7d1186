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

/** What asking for a connection came to: the open connection, or why there is none now. */
export type Connecting = { ok: true; connection: PersonalConnection } | { ok: false; reason: string; link?: URL };

/**
 * A turn waits this long for a person's connection to open (ms). Past it the turn goes on without that
 * server and the connection keeps opening for the next one: a remote server that hangs must not hold
 * every question of its people for the whole start-up time-out.
 */
export const TURN_CONNECT_WAIT_MS = 5_000;
/** After a person's connection failed to open, their turns skip it for this long (ms) instead of each waiting on a new attempt. */
const RETRY_AFTER_FAILURE_MS = 30_000;
const STILL_CONNECTING = 'still connecting; its tools come with a later question';

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
  /** Why a person's connection recently failed to open, by (server, person), until a new attempt is due. */
  private readonly failures = new LRUCache<string, string>({ max: 10_000, ttl: RETRY_AFTER_FAILURE_MS });
  /** Connections a turn gave up waiting for: later turns do not wait for them again. */
  private readonly slow = new WeakSet<PersonalConnection>();

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

  /**
   * The person's connection to the server, opened when there is none; counts as a use. Waits up to
   * `waitMs` for it to open (not at all for one a turn already gave up on), and does not try again
   * within RETRY_AFTER_FAILURE_MS of a failure.
   */
  async connect(config: RemoteServerConfig, person: string, waitMs = Number.POSITIVE_INFINITY): Promise<Connecting> {
    const key = keyOf(config.name, person);
    const failure = this.failures.get(key);
    if (failure !== undefined) return { ok: false, reason: failure };
    let connection = this.open.get(key);
    if (!connection) this.open.set(key, (connection = this.opened(config, person)));
    const outcome = await this.settled(connection, this.slow.has(connection) ? 0 : waitMs);
    if (outcome === undefined) {
      this.slow.add(connection);
      return { ok: false, reason: STILL_CONNECTING };
    }
    if (outcome.ok) return { ok: true, connection };
    this.drop(connection);
    // A person who must connect again is not kept waiting: their link is the way back.
    if (!outcome.link) this.failures.set(key, outcome.reason);
    return outcome;
  }

  /** The connection's outcome, or undefined when it has not settled within `waitMs`. */
  private async settled(connection: PersonalConnection, waitMs: number): Promise<ConnectionOutcome | undefined> {
    if (!Number.isFinite(waitMs)) return connection.ready;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
    try {
      return await Promise.race([connection.ready, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the person's connection to the server, if open, and forgets a recent failure: the next use tries at once. */
  close(server: string, person: string): void {
    this.failures.delete(keyOf(server, person));
    this.open.delete(keyOf(server, person));
  }

  /** Closes every connection to the server (removed or changed in the servers file), and forgets its recent failures. */
  closeServer(server: string): void {
    for (const key of [...this.failures.keys()]) if (key.startsWith(`${server}\n`)) this.failures.delete(key);
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
