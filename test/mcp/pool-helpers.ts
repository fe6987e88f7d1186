import { readdirSync, readFileSync } from 'node:fs';
import type { ServerConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { McpPool, type RestartPolicy, type ServerEvent } from '../../src/mcp/index.js';
import { Recorder } from '../helpers/recorder.js';

export interface LogLine {
  level: number;
  msg: string;
  server?: string;
  tool?: string;
  reason?: string;
  [field: string]: unknown;
}

export const DEBUG = 20;
export const WARN = 40;
export const ERROR = 50;

export interface PoolUnderTest {
  pool: McpPool;
  events: Recorder<ServerEvent>;
  /** Every log line at debug level and above, parsed. */
  logs: Recorder<LogLine>;
}

export interface PoolSettings {
  startupTimeoutMs?: number;
  defaultToolTimeoutMs?: number;
  maxTaskMs?: number;
  restart?: Partial<RestartPolicy>;
}

/** A pool with fast restarts, recording its server events and logs so tests wait on them. */
export async function startPool(servers: ServerConfig[], settings: PoolSettings = {}): Promise<PoolUnderTest> {
  const events = new Recorder<ServerEvent>();
  const logs = new Recorder<LogLine>();
  const logger = createLogger('debug', { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const pool = await McpPool.start(
    { configPath: 'test', servers, startupTimeoutMs: settings.startupTimeoutMs ?? 20_000, defaultToolTimeoutMs: settings.defaultToolTimeoutMs ?? 10_000, maxTaskMs: settings.maxTaskMs },
    logger,
    // Long enough that a test sees the server down before it is back, short enough to keep tests fast.
    { restart: { initialDelayMs: 100, maxDelayMs: 400, ...settings.restart } },
  );
  pool.onServerEvent((event) => events.push(event));
  return { pool, events, logs };
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

/** Processes (zombies included) whose parent is this test process: whatever the pool spawned and has not reaped. */
export function childPids(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}
