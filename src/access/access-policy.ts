import type { CatalogTool } from '../mcp/types.js';
import { OPEN_RULE, permits } from './access-rule.js';
import type { AccessRule, Asker } from './types.js';

/** A server's access fields as servers_config.json has them. */
export interface ServerAccessConfig {
  name: string;
  allowUsers?: string[];
  allowRoles?: string[];
  allowChannels?: string[];
  confirmTools: string[];
}

const ANY_TOOL = '*';

/**
 * Who may talk to the bot, which servers' tools each asker is offered, and which tools wait for
 * approval. The model only ever sees the tools the asker may use, so it cannot call the others.
 */
export class AccessPolicy {
  private serverRules = new Map<string, AccessRule>();
  private confirmed = new Map<string, Set<string>>();
  /** Filtered catalogs keyed by which restricted servers are in, so equal askers share one array (and one prompt). */
  private catalogs = new WeakMap<CatalogTool[], Map<string, CatalogTool[]>>();

  constructor(
    private readonly bot: AccessRule = OPEN_RULE,
    servers: ServerAccessConfig[] = [],
  ) {
    this.setServers(servers);
  }

  /**
   * Takes the servers' allow lists and confirmTools from a (re)loaded servers file; the bot-wide rule
   * (ALLOWED_*) stays. Questions already waiting for approval keep waiting.
   */
  setServers(servers: ServerAccessConfig[]): void {
    const serverRules = new Map<string, AccessRule>();
    const confirmed = new Map<string, Set<string>>();
    for (const server of servers) {
      if (server.allowUsers || server.allowRoles || server.allowChannels) {
        serverRules.set(server.name, { users: server.allowUsers ?? [], roles: server.allowRoles ?? [], channels: server.allowChannels ?? [] });
      }
      if (server.confirmTools.length > 0) confirmed.set(server.name, new Set(server.confirmTools));
    }
    this.serverRules = serverRules;
    this.confirmed = confirmed;
    this.catalogs = new WeakMap();
  }

  /** May this person talk to the bot here at all? */
  admits(asker: Asker): boolean {
    return permits(this.bot, asker);
  }

  mayUseServer(server: string, asker: Asker): boolean {
    const rule = this.serverRules.get(server);
    return rule === undefined || permits(rule, asker);
  }

  /** The catalog without the tools of servers this asker may not use. */
  catalogFor(asker: Asker, catalog: CatalogTool[]): CatalogTool[] {
    if (this.serverRules.size === 0) return catalog;
    const allowed = [...this.serverRules.keys()].filter((server) => this.mayUseServer(server, asker));
    const key = allowed.join('\n');
    let byKey = this.catalogs.get(catalog);
    if (!byKey) this.catalogs.set(catalog, (byKey = new Map()));
    let filtered = byKey.get(key);
    if (!filtered) {
      filtered = catalog.filter((tool) => !this.serverRules.has(tool.server) || allowed.includes(tool.server));
      byKey.set(key, filtered);
    }
    return filtered;
  }

  needsConfirmation(tool: Pick<CatalogTool, 'server' | 'toolName'>): boolean {
    const tools = this.confirmed.get(tool.server);
    return tools !== undefined && (tools.has(ANY_TOOL) || tools.has(tool.toolName));
  }

}
