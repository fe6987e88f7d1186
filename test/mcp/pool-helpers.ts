import type { ServerConfig } from '../../src/config/index.js';
import { McpPool, type ServerEvent } from '../../src/mcp/index.js';
import { testLogger } from '../helpers/logger.js';
import { Recorder } from '../helpers/recorder.js';

export interface PoolUnderTest {
  pool: McpPool;
  events: Recorder<ServerEvent>;
}

/** A pool with fast restarts, recording its server events so tests wait on them. */
export async function startPool(servers: ServerConfig[], overrides: { startupTimeoutMs?: number; defaultToolTimeoutMs?: number } = {}): Promise<PoolUnderTest> {
  const events = new Recorder<ServerEvent>();
  const pool = await McpPool.start(
    { configPath: 'test', servers, startupTimeoutMs: overrides.startupTimeoutMs ?? 20_000, defaultToolTimeoutMs: overrides.defaultToolTimeoutMs ?? 10_000 },
    testLogger(),
    { restart: { initialDelayMs: 50, maxDelayMs: 400 } },
  );
  pool.onServerEvent((event) => events.push(event));
  return { pool, events };
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
