import Keyv from 'keyv';
import { DEFAULT_TASK_MAX_S, isPersonalServer, type McpSettings, type PersonalConnectionSettings, type RemoteServerConfig, type ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { SecretBox } from '../store/secret-box.js';
import { AuthorizationRequests, OAUTH_CALLBACK_PATH, OAuthCredentials, type OAuthHost } from './auth/index.js';
import { diffServers } from './config-diff.js';
import { ConnectStates, PersonalServers } from './personal/index.js';
import type { RestartPolicy, ServerConnectionOptions, ServerEventDetails, ServerEventType } from './server-connection.js';
import { ServerInstances } from './server-instances.js';
import { exposedNames } from './tool-names.js';
import { failedOutcome } from './tool-outcome.js';
import type { GetPromptResult } from '@modelcontextprotocol/client';
import type { CallContext, CatalogTool, PersonalAccounts, ServerPrompt, ServerState, TaskCancelOutcome, ToolOutcome, ToolProvider } from './types.js';

export interface PoolOptions {
  /**
   * How long to wait before restarting a server that died (1 s, doubling, up to 30 s) and before trying
   * again one that never started (30 s, doubling, up to 5 min), unless overridden.
   */
  restart?: Partial<RestartPolicy>;
  /** For remote servers with an `auth` block. */
  oauth?: {
    /** Where tokens and registrations are kept across restarts; in memory without it. */
    kv?: Keyv;
    /** Seals tokens and registrations in `kv` (TOKEN_ENCRYPTION_KEY); stored as they are without it. */
    secrets?: SecretBox;
    /** The bot's address as a browser reaches it; its `/oauth/callback` is where people come back. */
    publicUrl?: string;
    /** Shows a person the link that authorizes a server; by default it is logged. */
    showAuthorizationLink?: (server: string, url: URL) => void;
  };
}

/** What `apply` did, by server name. */
export interface ServerChanges {
  added: string[];
  removed: string[];
  /** Changed in the file: the old entry closed, the new one started. */
  restarted: string[];
}

/** What happened to one server: for metrics (count `restarted`) and for tests to wait on. */
export interface ServerEvent extends ServerEventDetails {
  server: string;
  type: ServerEventType;
}

/** Who an OAuth callback authorized: the server for everybody, or one person's own account. */
export type AuthorizationReceived = { server: string; person?: undefined } | { server: string; person: string };

const DEFAULT_PERSONAL: PersonalConnectionSettings = { idleMs: 600_000, maxConnections: 200 };
const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, startRetryDelayMs: 30_000, maxStartRetryDelayMs: 300_000 };
const DEFAULT_PUBLIC_URL = 'http://localhost:3000';
/** MAX_TOOL_RESULT_CHARS's default, for pools started without it (the probe, tests). */
const DEFAULT_MAX_RESOURCE_CHARS = 20_000;

/**
 * Every configured MCP server, started once and shared by all conversations. The tool catalog lives
 * in memory and is rebuilt only when a server's tools change.
 */
export class McpPool implements ToolProvider {
  private catalog: CatalogTool[] = [];
  private routes = new Map<string, { instances: ServerInstances; toolName: string }>();
  private readonly catalogListeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: ServerEvent) => void>();
  private servers: ServerInstances[];
  /** Servers a reload added or changed, starting before they take over. */
  private readonly arriving = new Set<ServerInstances>();
  /** Servers a reload removed or replaced, closing once their calls in flight end. */
  private readonly retiring = new Set<ServerInstances>();
  /** Reloads run one at a time, in the order they were asked for. */
  private applying: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly authorizations = new AuthorizationRequests();
  private readonly credentials: OAuthCredentials;
  private readonly connectionOptions: Omit<ServerConnectionOptions, 'onEvent'>;
  private readonly personal: PersonalServers;
  /** The per-person servers as the servers file has them, for the next reload's diff. */
  private personalConfigs: RemoteServerConfig[];

  private constructor(
    settings: McpSettings,
    private readonly logger: Logger,
    options: PoolOptions,
  ) {
    const restart = { ...DEFAULT_RESTART, ...options.restart };
    this.credentials = new OAuthCredentials(options.oauth?.kv ?? new Keyv(), options.oauth?.secrets, logger);
    const oauth: OAuthHost = {
      credentials: this.credentials,
      redirectUrl: new URL(OAUTH_CALLBACK_PATH, options.oauth?.publicUrl ?? DEFAULT_PUBLIC_URL).href,
      requests: this.authorizations,
      showAuthorizationLink: options.oauth?.showAuthorizationLink ?? ((server, url) => logger.warn({ server, url: url.href }, 'open this link to authorize the MCP server')),
    };
    this.connectionOptions = {
      logger,
      restart,
      startupTimeoutMs: settings.startupTimeoutMs,
      defaultToolTimeoutMs: settings.defaultToolTimeoutMs,
      maxResourceChars: settings.maxResourceChars ?? DEFAULT_MAX_RESOURCE_CHARS,
      maxTaskMs: settings.maxTaskMs ?? DEFAULT_TASK_MAX_S * 1000,
      oauth,
    };
    this.servers = sharedServers(settings.servers).map((config) => this.instancesFor(config));
    this.personalConfigs = personalServers(settings.servers);
    this.personal = new PersonalServers(this.personalConfigs, {
      settings: settings.personal ?? DEFAULT_PERSONAL,
      connection: this.connectionOptions,
      host: { credentials: this.credentials, redirectUrl: oauth.redirectUrl, states: new ConnectStates(options.oauth?.kv ?? new Keyv(), options.oauth?.secrets) },
      kv: options.oauth?.kv ?? new Keyv(),
      logger,
    });
  }

  /** The servers each person connects with their own account (`"perUser": true`). */
  get accounts(): PersonalAccounts {
    return this.personal;
  }

  /** Connections of per-person servers open now. */
  get personalConnections(): number {
    return this.personal.openConnections;
  }

  private instancesFor(config: ServerConfig): ServerInstances {
    return new ServerInstances(config, { ...this.connectionOptions, onEvent: (type, details) => this.serverEvent({ server: config.name, type, ...details }) });
  }

  /** Starts every enabled server in parallel; the pool is ready even if some (or all) fail. */
  static async start(settings: McpSettings, logger: Logger, options: PoolOptions = {}): Promise<McpPool> {
    const pool = new McpPool(settings, logger, options);
    const started = Date.now();
    // Credentials stored in clear or with the previous key are sealed with the current one before any server reads them.
    const oauthServers = sharedServers(settings.servers).filter((server) => server.kind === 'remote' && server.auth?.type === 'oauth').map((server) => server.name);
    await pool.credentials.sealStored(oauthServers).catch((error: unknown) => logger.warn({ err: error }, 'stored OAuth credentials could not be checked at start-up; each is checked again when read'));
    await Promise.all(pool.servers.map((server) => server.start()));
    pool.rebuildCatalog();
    logger.info({ ms: Date.now() - started, servers: pool.serverStates(), tools: pool.catalog.length }, 'MCP servers started');
    return pool;
  }

  tools(): CatalogTool[] {
    return this.catalog;
  }

  serverStates(): Record<string, ServerState> {
    return Object.fromEntries(this.servers.map((server) => [server.name, server.state]));
  }

  /** Process ids of the running stdio servers (the first instance's, for a server run as several). */
  serverPids(): Record<string, number | undefined> {
    return Object.fromEntries(this.servers.map((server) => [server.name, server.pids[0]]));
  }

  /** Process ids of every instance of a server, by instance (undefined for one that is down): for checks that nothing is left behind. */
  instancePids(server: string): (number | undefined)[] {
    return this.servers.find((entry) => entry.name === server)?.pids ?? [];
  }

  async callTool(name: string, args: Record<string, unknown>, context: CallContext = {}): Promise<ToolOutcome> {
    const route = this.routes.get(name);
    if (!route) return failedOutcome('', name, `there is no tool named "${name}"`);
    return route.instances.callTool(route.toolName, args, context);
  }

  /** Every prompt of the servers that are up (MCP server/prompts), in server order; never a round trip. */
  prompts(): ServerPrompt[] {
    return this.servers.flatMap((server) => server.prompts);
  }

  /**
   * Fills in one prompt (prompts/get): its messages, ready to start a turn.
   * @throws Error naming the server when there is none by that name or it is down; the SDK's ProtocolError when the server refuses
   */
  getPrompt(server: string, name: string, args: Record<string, string>): Promise<GetPromptResult> {
    const instances = this.servers.find((entry) => entry.name === server);
    if (!instances) return Promise.reject(new Error(`there is no server named "${server}"`));
    return instances.getPrompt(name, args);
  }

  /** Cancels a task a call left running on `server` (tasks/cancel), e.g. one recorded before a restart. */
  async cancelTask(server: string, taskId: string): Promise<TaskCancelOutcome> {
    const instances = this.servers.find((entry) => entry.name === server);
    if (!instances) return { kind: 'failed', reason: `there is no server named "${server}"` };
    return instances.cancelTask(taskId);
  }

  /**
   * The redirect of an OAuth authorization arrived (`/oauth/callback`): hands the code to the server
   * that asked, or trades it for the tokens of the person whose connect link it was. Undefined when
   * no authorization waits for `state` (unknown, used or expired).
   * @throws Error when a person's code cannot be traded (see PersonalServers.complete)
   */
  async completeAuthorization(state: string, code: string, iss?: string): Promise<AuthorizationReceived | undefined> {
    const server = this.authorizations.deliver(state, code);
    if (server !== undefined) return { server };
    return this.personal.complete(state, code, iss);
  }

  /** Called after the catalog changed (a server's tool list changed, or it came back with other tools). */
  onToolsChanged(listener: () => void): () => void {
    this.catalogListeners.add(listener);
    return () => this.catalogListeners.delete(listener);
  }

  onServerEvent(listener: (event: ServerEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * Makes the running servers the ones in `servers` (a reloaded servers file): starts the added ones,
   * restarts the changed ones (any field differs) and closes the removed ones; unchanged servers are
   * not touched. The new and restarted servers start first, beside the old ones, and the new set takes
   * over the catalog in one step when they are up (or have failed, as at start-up). A call already
   * running on a removed or replaced server finishes there (up to that server's tool time-out; after
   * that it ends as a failed outcome) before the server is closed; calls after the switch go to the new set.
   * `onSwitch` runs in the same tick as the switch, for what is derived from the servers (the access policy).
   * Reloads run one at a time. Resolves with what changed once the new set serves.
   * @throws Error when the pool is closing
   */
  apply(servers: ServerConfig[], onSwitch?: () => void): Promise<ServerChanges> {
    const applied = this.applying.then(() => this.applyNow(servers, onSwitch));
    this.applying = applied.catch(() => undefined);
    return applied;
  }

  private async applyNow(servers: ServerConfig[], onSwitch: (() => void) | undefined): Promise<ServerChanges> {
    if (this.closing) throw new Error('the MCP servers are shutting down');
    const diff = diffServers([...this.servers.map((server) => server.config), ...this.personalConfigs], servers);
    const changes: ServerChanges = { added: diff.added.map((server) => server.name), removed: diff.removed, restarted: diff.changed.map((server) => server.name) };
    // A per-person server has no connection of its own to start: people's connections open as they use it.
    const starting = new Map(sharedServers([...diff.added, ...diff.changed]).map((config) => [config.name, this.instancesFor(config)]));
    for (const server of starting.values()) this.arriving.add(server);
    await Promise.all([...starting.values()].map((server) => server.start()));
    for (const server of starting.values()) this.arriving.delete(server);
    // close() has closed them too, if it came meanwhile.
    if (this.closing) throw new Error('the MCP servers are shutting down');
    const running = new Map(this.servers.map((server) => [server.name, server]));
    const next = sharedServers(servers).map((config) => starting.get(config.name) ?? running.get(config.name)!);
    const leaving = this.servers.filter((server) => !next.includes(server));
    this.servers = next;
    this.personal.setServers(personalServers(servers));
    this.personalConfigs = personalServers(servers);
    onSwitch?.();
    this.rebuildCatalog();
    for (const server of leaving) void this.retire(server);
    if (changes.added.length + changes.removed.length + changes.restarted.length > 0) this.logger.info({ ...changes, servers: this.serverStates(), tools: this.catalog.length }, 'MCP servers changed');
    return changes;
  }

  private async retire(server: ServerInstances): Promise<void> {
    this.retiring.add(server);
    await server.retire(server.config.timeoutMs ?? this.connectionOptions.defaultToolTimeoutMs);
    this.retiring.delete(server);
    this.logger.info({ server: server.name }, 'replaced or removed server closed');
  }

  /** Stops every server (child processes have exited when this resolves) and restarts none. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...[...this.servers, ...this.arriving, ...this.retiring].map((server) => server.close()), this.personal.close()]).then(() => this.logger.info('MCP servers closed'));
    return this.closing;
  }

  private serverEvent(event: ServerEvent): void {
    this.notify(this.eventListeners, event);
    // A restarting server keeps its tools listed: calls then fail fast with "restarting" instead of "unknown tool".
    if (event.type === 'tools-changed' || event.type === 'restarted' || event.type === 'ready') this.rebuildCatalog();
  }

  private rebuildCatalog(): void {
    const entries = this.servers.flatMap((instances) => instances.tools.map((tool) => ({ instances, tool, server: instances.name, toolName: tool.toolName })));
    const names = exposedNames(entries);
    const catalog = entries.map((entry, index) => ({
      name: names[index] ?? entry.toolName,
      server: entry.server,
      toolName: entry.toolName,
      description: entry.tool.description,
      inputSchema: entry.tool.inputSchema,
    }));
    this.routes = new Map(entries.map((entry, index) => [catalog[index]?.name ?? entry.toolName, { instances: entry.instances, toolName: entry.toolName }]));
    const changed = JSON.stringify(catalog) !== JSON.stringify(this.catalog);
    this.catalog = catalog;
    if (changed) this.notify(this.catalogListeners, undefined);
  }

  private notify<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        // A listener's bug must not stop the others, nor the pool.
        this.logger.error({ err: error }, 'MCP pool listener failed');
      }
    }
  }
}

/** The enabled servers with one connection for everybody. */
function sharedServers(servers: ServerConfig[]): ServerConfig[] {
  return servers.filter((server) => !server.disabled && !isPersonalServer(server));
}

/** The enabled servers each person connects with their own account. */
function personalServers(servers: ServerConfig[]): RemoteServerConfig[] {
  return servers.filter((server): server is RemoteServerConfig => !server.disabled && isPersonalServer(server));
}
