import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FakeLlm } from '../fakes/fake-llm.js';
import { freePort } from './free-port.js';

export const projectRoot = path.resolve(import.meta.dirname, '../..');
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

export interface LogEntry {
  msg: string;
  server?: string;
  url?: string;
  pid?: number;
}

export interface BotProcess {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  /** The JSON log lines written so far. */
  logs(): LogEntry[];
  /** Resolves with what `find` returns once it returns something, checked on every output; rejects if the bot exits first. */
  until<T>(find: () => T | undefined): Promise<T>;
  exited: Promise<number | null>;
}

/** The settings that point the bot at a fake LLM. */
export function fakeLlmEnv(llm: FakeLlm): Record<string, string> {
  return { LLM_BASE_URL: llm.url, LLM_API_KEY: 'test-key', LLM_MODEL: 'fake-model' };
}

/**
 * A console bot with remote OAuth servers: the fake LLM, the servers file and SQLite store in `dir`,
 * a free PORT for `/oauth/callback` with PUBLIC_URL on it, and TOKEN_ENCRYPTION_KEY as given (empty:
 * not set, whatever the environment the tests run in holds).
 */
export async function oauthBotEnv(llm: FakeLlm, dir: string, tokenEncryptionKey: string): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    ...fakeLlmEnv(llm),
    MCP_CONFIG: path.join(dir, 'servers.json'),
    STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TOKEN_ENCRYPTION_KEY: tokenEncryptionKey,
    TOKEN_ENCRYPTION_KEY_PREVIOUS: '',
  };
}

/** One of the project's entries (`src/….ts`) run directly on this Node, as the npm scripts run it, with stdin kept open. */
export function startEntry(entry: string, args: string[], env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, entry, ...args], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const logs = (): LogEntry[] =>
    output.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogEntry);
  const until = <T>(find: () => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) resolve(found);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.once('exit', () => reject(new Error(`the bot exited first:\n${output.stderr}`)));
      check();
    });
  // After the output streams have closed too, so `output` is complete by then.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output, logs, until, exited };
}

/**
 * The bot's entry (not through npm, so signals reach it as a container runtime sends them), in the
 * console; platform tokens emptied so a developer's own .env cannot turn Discord or Slack on.
 */
export function startBotProcess(env: Record<string, string>): BotProcess {
  return startEntry('src/index.ts', [], { DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', LOG_LEVEL: 'info', ...env });
}
