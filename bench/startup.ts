import type { McpPool } from '../src/mcp/index.js';
import { median, now } from './measure.js';
import { startPool } from './setup.js';

const DELAYS_MS = [300, 400, 500, 600];

async function timeStart(names: string[], delays: number[]): Promise<number> {
  const started = now();
  const pool: McpPool = await startPool(names, delays.map((delay) => ({ FIXTURE_STARTUP_DELAY_MS: String(delay) })));
  const elapsed = now() - started;
  await pool.close();
  return elapsed;
}

/** Four servers that each take 300–600 ms to start, against the slowest one alone: parallel start-up. */
export async function measureStartup(rounds: number): Promise<{ startup_ratio: number }> {
  // A first start warms the file cache and the TypeScript loader's cache for both sides alike.
  await timeStart(['warm'], [0]);
  const all: number[] = [];
  const slowest: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    all.push(await timeStart(DELAYS_MS.map((_, index) => `s${index}`), DELAYS_MS));
    slowest.push(await timeStart(['slowest'], [Math.max(...DELAYS_MS)]));
  }
  return { startup_ratio: median(all) / median(slowest) };
}
