import { auth, type OAuthTokens } from '@modelcontextprotocol/client';
import type Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import type { RemoteServerConfig } from '../../config/index.js';
import type { Logger } from '../../logging/logger.js';
import type { OAuthConfig } from '../auth/oauth-provider.js';
import type { ServerTool } from '../server-connection.js';
import { diffServers } from '../config-diff.js';
import { exposedNames } from '../tool-names.js';
import { failedOutcome } from '../tool-outcome.js';
import { issuerMismatchAllowed } from '../transports.js';
import type { CallContext, CatalogTool, ConnectLink, ConnectResult, PersonalAccounts, PersonalCatalog, TaskCancelOutcome, ToolOutcome } from '../types.js';
import type { ConnectState } from './connect-states.js';
import { PersonalConnections, TURN_CONNECT_WAIT_MS, type Connecting, type PersonalConnectionsOptions } from './personal-connections.js';
import { PersonalOAuthProvider } from './personal-oauth-provider.js';
import { revokeTokens } from './token-revocation.js';
import { claimOnce } from '../../store/index.js';

/** A person is offered a server's connect link at most this often without asking for it (`/connect`). */
const OFFER_INTERVAL_MS = 24 * 60 * 60_000;
/** People whose merged catalog is kept, so their turns share one tool list (and one system prompt). */
const CATALOGS_KEPT = 1_000;

export interface PersonalServersOptions extends PersonalConnectionsOptions {
  /** Where "link offered" marks live, shared by every process on the store. */
  kv: Keyv;
}

/** A person's catalog as last built, rebuilt only when the shared catalog or one of their tool lists changed. */
interface KeptCatalog {
  shared: CatalogTool[];
  parts: ServerTool[][];
  catalog: CatalogTool[];
}

/**
 * The servers each person connects with their own account (see PersonalAccounts): their links, their
 * tokens (through OAuthCredentials, sealed), their connections (PersonalConnections) and the callback
 * that ends a link.
 */
export class PersonalServers implements PersonalAccounts {
  private configs = new Map<string, RemoteServerConfig>();
  private readonly connections: PersonalConnections;
  private readonly catalogs = new LRUCache<string, KeptCatalog>({ max: CATALOGS_KEPT });
  private readonly log: Logger;
  /** "Link offered" marks this process made or found taken, so it does not claim them again each turn. */
  private readonly offered = new LRUCache<string, true>({ max: 10_000, ttl: OFFER_INTERVAL_MS });
  /** Links being made, by server: one at a time, so two people's first links do not each register a client. */
  private readonly linking = new Map<string, Promise<unknown>>();

  constructor(
    configs: RemoteServerConfig[],
    private readonly options: PersonalServersOptions,
  ) {
    this.log = options.logger;
    this.connections = new PersonalConnections(options);
    this.setServers(configs);
  }

  servers(): string[] {
    return [...this.configs.keys()];
  }

  /** Connections open now, all servers and people together. */
  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * Takes the per-person servers of a (re)loaded servers file: connections of removed or changed
   * servers close (after their calls in flight); people's tokens stay, so a server put back finds them.
   */
  setServers(configs: RemoteServerConfig[]): void {
    const { removed, changed } = diffServers([...this.configs.values()], configs);
    for (const name of [...removed, ...changed.map((config) => config.name)]) this.connections.closeServer(name);
    this.configs = new Map(configs.map((config) => [config.name, config]));
  }

  async catalogFor(person: string, shared: CatalogTool[], servers: string[]): Promise<PersonalCatalog> {
    const result: PersonalCatalog = { catalog: shared, unconnected: [], unavailable: [], links: [] };
    const parts = new Map<string, ServerTool[]>();
    await Promise.all(
      servers.map(async (server) => {
        const config = this.configs.get(server);
        if (!config) return;
        try {
          if (!(await this.isConnected(person, server))) {
            // Disconnected elsewhere (another process's /disconnect): a connection left open here goes too.
            this.connections.close(server, person);
            return void result.unconnected.push(server);
          }
          const opened = await this.connections.connect(config, person, TURN_CONNECT_WAIT_MS);
          if (opened.ok) return void parts.set(server, opened.connection.instances.tools);
          if (!opened.link) return void result.unavailable.push({ server, reason: opened.reason });
          result.unconnected.push(server);
          result.links.push({ server, url: opened.link.href });
        } catch (error) {
          this.log.warn({ server, person, err: error }, 'personal connection could not be checked; the server is left out of this turn');
          result.unavailable.push({ server, reason: (error as Error).message });
        }
      }),
    );
    const order = (names: string[]) => names.sort((a, b) => servers.indexOf(a) - servers.indexOf(b));
    order(result.unconnected);
    result.catalog = this.merged(person, shared, order([...parts.keys()]).map((server) => ({ server, tools: parts.get(server)! })));
    return result;
  }

  async offerLinks(person: string, servers: string[]): Promise<ConnectLink[]> {
    const links: ConnectLink[] = [];
    for (const server of servers) {
      try {
        // Atomic across processes: of two turns of one person starting together, one sends the link.
        if (!(await this.markOffered(server, person))) continue;
        const result = await this.connect(person, server);
        if (result.kind === 'link') links.push(result.link);
      } catch (error) {
        this.log.warn({ server, person, err: error }, 'connect link not offered');
      }
    }
    return links;
  }

  async isConnected(person: string, server: string): Promise<boolean> {
    return (await this.options.host.credentials.read(server, 'tokens', person)) !== undefined;
  }

  async connect(person: string, server: string): Promise<ConnectResult> {
    const config = this.configs.get(server);
    if (!config) return { kind: 'unknown', servers: this.servers() };
    if (await this.isConnected(person, server)) return { kind: 'connected' };
    const made = (this.linking.get(server) ?? Promise.resolve()).then(() => this.makeLink(config, person));
    const settled = made.catch(() => undefined);
    this.linking.set(server, settled);
    void settled.then(() => this.linking.get(server) === settled && this.linking.delete(server));
    return made;
  }

  private async makeLink(config: RemoteServerConfig, person: string): Promise<ConnectResult> {
    const provider = this.provider(config, person);
    try {
      // No tokens: the SDK discovers, registers once per server, and asks for consent, which makes the link.
      const result = await auth(provider, { serverUrl: config.url, skipIssuerMetadataValidation: issuerMismatchAllowed(config) });
      if (result === 'REDIRECT' && provider.link) {
        // A link sent, asked for or not, counts as the day's offer.
        await this.markOffered(config.name, person);
        return { kind: 'link', link: { server: config.name, url: provider.link.href } };
      }
      return { kind: 'connected' };
    } catch (error) {
      const reason = (error as Error).message;
      this.log.warn({ server: config.name, person, reason }, 'connect link could not be made');
      return { kind: 'failed', reason };
    }
  }

  /**
   * Forgets the person's tokens, closes their connection, and asks the authorization server to revoke
   * the tokens (RFC 7009) where it offers that; a failed revocation is logged, the tokens are gone anyway.
   */
  async disconnect(person: string, server: string): Promise<boolean> {
    const { credentials } = this.options.host;
    const tokens = await credentials.read<OAuthTokens>(server, 'tokens', person);
    const config = this.configs.get(server);
    const client = config && tokens ? await this.provider(config, person).clientInformation() : undefined;
    await credentials.remove(server, 'tokens', person);
    // Who just disconnected does not want a link with their next question.
    await this.markOffered(server, person);
    this.connections.close(server, person);
    this.log.info({ server, person, had: tokens !== undefined }, 'person disconnected their account');
    if (config && tokens && client) {
      const revocation = await revokeTokens(config.url, tokens, client, { skipIssuerMetadataValidation: issuerMismatchAllowed(config) });
      if (revocation.kind === 'failed') this.log.warn({ server, person, reason: revocation.reason }, 'the authorization server did not revoke the disconnected tokens; the bot no longer holds them');
      else this.log.info({ server, person, revocation: revocation.kind }, 'disconnected tokens revoked at the authorization server');
    }
    return tokens !== undefined;
  }

  /**
   * The person came back from the authorization server with `code` for the link whose state was
   * `state`: trades it for their tokens (with the link's PKCE verifier), so their next turn has the
   * server's tools. Undefined for a state that is unknown, used or expired.
   * @throws Error when the server is no longer configured or the authorization server refuses the code
   */
  async complete(state: string, code: string, iss?: string): Promise<{ server: string; person: string } | undefined> {
    const record = await this.options.host.states.take(state);
    if (!record) return undefined;
    const config = this.configs.get(record.server);
    if (!config) throw new Error(`server "${record.server}" is no longer configured`);
    const provider = this.provider(config, record.person, record);
    const result = await auth(provider, { serverUrl: config.url, authorizationCode: code, ...(iss ? { iss } : {}), skipIssuerMetadataValidation: issuerMismatchAllowed(config) });
    if (result !== 'AUTHORIZED') throw new Error(`authorization ended in ${result}`);
    // A connection left from before (other tokens) must not go on serving this person.
    this.connections.close(record.server, record.person);
    this.log.info({ server: record.server, person: record.person }, 'person connected their account');
    return { server: record.server, person: record.person };
  }

  async callTool(person: string, server: string, toolName: string, args: Record<string, unknown>, context: CallContext = {}): Promise<ToolOutcome> {
    const opened = await this.connection(person, server);
    if (!opened.ok) return opened.link ? this.connectAgain(server, toolName, opened.link) : failedOutcome(server, toolName, `server "${server}" cannot be reached: ${opened.reason}`);
    const result = await opened.connection.instances.callTool(toolName, args, context);
    return opened.connection.provider.link ? this.connectAgain(server, toolName, opened.connection.provider.link) : result;
  }

  /**
   * Marks `server`'s link as offered to `person` for OFFER_INTERVAL_MS; true when it was not already.
   * A mark this process already knows of is not claimed again: every turn of a person who has not
   * connected asks, and a claim is a write.
   */
  private async markOffered(server: string, person: string): Promise<boolean> {
    const key = `connect-offered:${server}:${person}`;
    if (this.offered.has(key)) return false;
    const claimed = await claimOnce(this.options.kv, key, OFFER_INTERVAL_MS);
    this.offered.set(key, true);
    return claimed;
  }

  async cancelTask(person: string, server: string, taskId: string): Promise<TaskCancelOutcome> {
    const opened = await this.connection(person, server);
    if (!opened.ok) return { kind: 'failed', reason: opened.link ? 'the person has to connect their account again' : opened.reason };
    return opened.connection.instances.cancelTask(taskId);
  }

  /** Closes every connection; resolves when they are closed. */
  close(): Promise<void> {
    return this.connections.closeAll();
  }

  /** The person's connection to a configured server, waited for as long as it takes to open. */
  private connection(person: string, server: string): Promise<Connecting> {
    const config = this.configs.get(server);
    return config ? this.connections.connect(config, person) : Promise.resolve({ ok: false, reason: `there is no server named "${server}"` });
  }

  private connectAgain(server: string, toolName: string, link: URL): ToolOutcome {
    const text = `server "${server}" no longer accepts this person's account (their authorization expired and could not be renewed), so "${toolName}" did not run. They were sent a private link to connect it again; tell them so.`;
    return { ...failedOutcome(server, toolName, text), connect: { server, url: link.href } };
  }

  private provider(config: RemoteServerConfig, person: string, callback?: ConnectState): PersonalOAuthProvider {
    return new PersonalOAuthProvider(config.name, config.auth as OAuthConfig, person, this.options.host, this.log.child({ server: config.name, person }), callback);
  }

  /** `shared` then the person's own tools, named so none takes a shared tool's name; the same array while nothing changed. */
  private merged(person: string, shared: CatalogTool[], parts: { server: string; tools: ServerTool[] }[]): CatalogTool[] {
    if (parts.length === 0) return shared;
    const kept = this.catalogs.get(person);
    const lists = parts.map((part) => part.tools);
    if (kept && kept.shared === shared && kept.parts.length === lists.length && kept.parts.every((list, index) => list === lists[index])) return kept.catalog;
    const entries = parts.flatMap(({ server, tools }) => tools.map((tool) => ({ server, tool, toolName: tool.toolName })));
    const names = exposedNames(entries, new Set(shared.map((tool) => tool.name)));
    const own = entries.map((entry, index) => ({ name: names[index] ?? entry.toolName, server: entry.server, toolName: entry.toolName, description: entry.tool.description, inputSchema: entry.tool.inputSchema }));
    const catalog = [...shared, ...own];
    this.catalogs.set(person, { shared, parts: lists, catalog });
    return catalog;
  }
}
