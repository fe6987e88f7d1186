import type { ServerState } from '../mcp/types.js';
import type { PlatformAdapter } from '../platforms/types.js';

export interface HealthSources {
  adapters: () => PlatformAdapter[];
  serverStates: () => Record<string, ServerState>;
  storeAnswers: () => Promise<boolean>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  platforms: Record<string, boolean>;
  mcp: Record<string, ServerState>;
  store: 'ok' | 'down';
}

/**
 * Healthy means people can reach the bot and it can remember: a platform connected and the store
 * answering. A failed MCP server is reported but does not fail the check — the bot still answers.
 */
export async function healthReport(sources: HealthSources): Promise<{ httpStatus: number; report: HealthReport }> {
  const platforms = Object.fromEntries(sources.adapters().map((adapter) => [adapter.platform, adapter.connected()]));
  const store = (await sources.storeAnswers()) ? 'ok' : 'down';
  const healthy = store === 'ok' && Object.values(platforms).some(Boolean);
  return { httpStatus: healthy ? 200 : 503, report: { status: healthy ? 'ok' : 'degraded', platforms, mcp: sources.serverStates(), store } };
}
