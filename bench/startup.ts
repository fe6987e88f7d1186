import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { loadServersConfig } from '../src/config/servers.js';
import { resolveCommand } from '../src/mcp/command-path.js';
import type { StdioServerConfig } from '../src/config/index.js';
import { McpPool } from '../src/mcp/index.js';
import { quirkyServerConfig } from '../test/fixtures/index.js';
import { fakeLlmEnv, projectRoot } from '../test/helpers/bot-process.js';
import { startFakeLlm } from '../test/fakes/fake-llm.js';
import { median, now } from './measure.js';
import { logger, spawnNpmStart } from './setup.js';

const DELAYS_MS = [300, 400, 500, 600];

/**
 * Servers that take `delays` to start but next to no CPU doing it (the hand-written quirky fixture in
 * plain JavaScript), so the figure is the pool's parallelism, not two cores loading four SDKs at once.
 */
async function timePool(delays: number[]): Promise<number> {
  const servers = delays.map((delay, index) => quirkyServerConfig(`s${index}`, [], { env: { QUIRKY_START_DELAY_MS: String(delay) } }));
  const started = now();
  const pool = await McpPool.start({ configPath: 'bench', servers, startupTimeoutMs: 30_000, defaultToolTimeoutMs: 30_000 }, logger);
  const elapsed = now() - started;
  await pool.close();
  return elapsed;
}

/** One stdio server started alone with the SDK's own client, to its tool list; it negotiates the protocol revision as the pool does. */
async function timeServerAlone(server: StdioServerConfig): Promise<number> {
  const started = now();
  const env = { ...(process.env as Record<string, string>), ...server.env, PATH: `${path.join(projectRoot, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  const client = new Client({ name: 'bench-alone', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StdioClientTransport({ command: resolveCommand(server.command, env, server.cwd), args: server.args, env, cwd: server.cwd, stderr: 'ignore' }));
  await client.listTools();
  const elapsed = now() - started;
  await client.close();
  return elapsed;
}

/** `npm start` with the sample servers_config.json, to its "bot ready" line. */
function timeBotReady(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawnNpmStart(env);
    let stderr = '';
    let readyAt: number | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (readyAt === undefined && stderr.includes('"msg":"bot ready"')) {
        readyAt = now() - started;
        child.stdin.end();
      }
    });
    child.on('error', reject);
    child.on('close', () => (readyAt !== undefined ? resolve(readyAt) : reject(new Error(`the bot never got ready:\n${stderr.slice(-2000)}`))));
  });
}

export interface StartupFigures {
  /** Four servers taking 300–600 ms to start, through the pool, against the slowest one alone. */
  startup_ratio: number;
  /** `npm start` to "bot ready" with the sample servers_config.json. */
  startup_ready_ms: number;
  /** The slowest server of the sample config started alone, to its tool list. */
  slowest_server_ms: number;
}

export async function measureStartup(rounds: number): Promise<StartupFigures> {
  // A first start warms the file cache for both sides alike.
  await timePool([0]);
  const all: number[] = [];
  const slowest: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    all.push(await timePool(DELAYS_MS));
    slowest.push(await timePool([Math.max(...DELAYS_MS)]));
  }

  const sample = (await loadServersConfig(path.join(projectRoot, 'servers_config.json'), process.env)).filter((server): server is StdioServerConfig => server.kind === 'stdio');
  const llm = await startFakeLlm(() => 'ok');
  try {
    const env = { ...fakeLlmEnv(llm), STORE_URL: 'memory://' };
    await timeBotReady(env);
    const ready: number[] = [];
    const alone: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      ready.push(await timeBotReady(env));
      const each: number[] = [];
      for (const server of sample) each.push(await timeServerAlone(server));
      alone.push(Math.max(...each));
    }
    return { startup_ratio: median(all) / median(slowest), startup_ready_ms: median(ready), slowest_server_ms: median(alone) };
  } finally {
    await llm.close();
  }
}
