import type { ServerState } from '../mcp/types.js';
import type { PlatformAdapter } from '../platforms/types.js';
import type { QueueCounts, TurnQueue } from '../queue/types.js';

/**
 * The turn queue as /healthz shows it: `kind` (`in-process`, or `redis` shared by several processes),
 * the jobs of all processes by state, and `runningHere`, this process's share; undefined counts when
 * Redis does not answer.
 */
export interface QueueReport extends Partial<QueueCounts> {
  kind: TurnQueue['kind'];
  runningHere: number;
}

/** Reads the queue for /healthz; a queue that cannot be read is reported without counts, not as a failed check. */
export async function queueReport(queue: TurnQueue): Promise<QueueReport> {
  const counts = await queue.counts().catch(() => ({}));
  return { kind: queue.kind, runningHere: queue.running(), ...counts };
}

export interface HealthSources {
  adapters: () => PlatformAdapter[];
  serverStates: () => Record<string, ServerState>;
  storeAnswers: () => Promise<boolean>;
  queue?: () => Promise<QueueReport>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  platforms: Record<string, boolean>;
  mcp: Record<string, ServerState>;
  store: 'ok' | 'down';
  queue?: QueueReport;
  /** This process: its pid, for telling replicas apart. */
  process: { pid: number };
}

/**
 * Healthy means people can reach the bot and it can remember: a platform connected and the store
 * answering. A failed MCP server is reported but does not fail the check — the bot still answers.
 */
export async function healthReport(sources: HealthSources): Promise<{ httpStatus: number; report: HealthReport }> {
  const platforms = Object.fromEntries(sources.adapters().map((adapter) => [adapter.platform, adapter.connected()]));
  const [answers, queue] = await Promise.all([sources.storeAnswers(), sources.queue?.()]);
  const store = answers ? 'ok' : 'down';
  const healthy = store === 'ok' && Object.values(platforms).some(Boolean);
  return { httpStatus: healthy ? 200 : 503, report: { status: healthy ? 'ok' : 'degraded', platforms, mcp: sources.serverStates(), store, ...(queue ? { queue } : {}), process: { pid: process.pid } } };
}
