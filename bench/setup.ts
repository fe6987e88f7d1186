import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Asker } from '../src/access/index.js';
import { ConversationEngine } from '../src/engine/index.js';
import type { ImageAttachment, TurnEvent, TurnOutput } from '../src/engine/index.js';
import type { ChatMessage, ChatModel, LlmReply } from '../src/llm/types.js';
import { createLogger } from '../src/logging/logger.js';
import { McpPool } from '../src/mcp/index.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { fixtureServerConfig } from '../test/fixtures/index.js';
import { TEST_ENGINE_SETTINGS } from '../test/helpers/engine-harness.js';
import { projectRoot } from '../test/helpers/bot-process.js';

export const logger = createLogger('silent');


/**
 * A model with no latency at all, in process: one `echo` tool call, then a final answer. What the
 * engine spends around it is the engine's own cost.
 */
export function scriptedModel(options: { useTool: boolean }): ChatModel {
  return {
    async complete(messages: ChatMessage[]): Promise<LlmReply> {
      const last = messages.at(-1);
      const fedBack = last?.role === 'user' && String(last.content).startsWith('[tool] ');
      if (!options.useTool || fedBack) return { text: 'All done.', toolCalls: [] };
      return { text: '{"tool": "echo", "arguments": {"text": "bench"}}', toolCalls: [] };
    },
  };
}

/** A TurnOutput that only keeps how the turn ended. */
export class SilentReply implements TurnOutput {
  answer: { text: string; images: ImageAttachment[] } | undefined;
  failure: string | undefined;
  async emit(event: TurnEvent): Promise<void> {
    if (event.type === 'answer') this.answer = event;
    if (event.type === 'error') this.failure = event.message;
  }
}

/** Someone the bot admits, asking in a channel. */
export const BENCH_ASKER: Asker = { userId: 'bench', personId: 'bench:bench', roleIds: [], channelId: 'bench', direct: false };

export async function startPool(names: string[], env: Record<string, string>[] = []): Promise<McpPool> {
  return McpPool.start(
    { configPath: 'bench', servers: names.map((name, index) => fixtureServerConfig(name, { env: env[index] ?? {} })), startupTimeoutMs: 30_000, defaultToolTimeoutMs: 30_000 },
    logger,
  );
}

/** A plain SDK client on its own fixture process: the baseline the pool is compared with. */
export async function rawClient(): Promise<Client> {
  const config = fixtureServerConfig('raw');
  const client = new Client({ name: 'bench-raw', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'ignore' }));
  return client;
}

export interface SqliteStore {
  store: Store;
  close(): Promise<void>;
}

export async function sqliteStore(): Promise<SqliteStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-store-'));
  const store = await openStore({ url: `sqlite://${path.join(dir, 'bench.sqlite')}`, historyTtlMs: 60 * 60 * 1000 }, logger);
  return {
    store,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function engineWith(model: ChatModel, pool: McpPool, store: Store): ConversationEngine {
  return new ConversationEngine({ llm: model, tools: pool, history: store.history, settings: TEST_ENGINE_SETTINGS, logger });
}

/**
 * `npm start` as an operator runs it, in the console (platform tokens emptied so a developer's own
 * .env cannot turn Discord or Slack on), logging at info so "bot ready" can be seen.
 */
export function spawnNpmStart(env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn('npm', ['start', '--silent'], { cwd: projectRoot, env: { ...process.env, DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
}
