import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { startFakeLlm, toolResultText, type LlmRequest } from '../test/fakes/fake-llm.js';
import { fixtureServerConfig } from '../test/fixtures/index.js';
import { fakeLlmEnv } from '../test/helpers/bot-process.js';
import { now } from './measure.js';
import { rawClient, spawnNpmStart } from './setup.js';

/**
 * N questions piped into `npm start` (console, SQLite, the fake model over HTTP, the fixture server
 * over stdio), each one model request → one `add` call → one model request, against the same work
 * done directly in this process: the very request bodies the bot sent, replayed with `fetch`, the same
 * tool calls through the SDK's own Client, the history written to SQLite through Keyv. Start-up is
 * left out on both sides: the bot's clock starts once it logs "bot ready".
 */
export async function measureEndToEndTurns(questions: number): Promise<{ e2e_turn_ratio: number; bot_ms_per_turn: number; raw_ms_per_turn: number }> {
  const llm = await startFakeLlm((request) => {
    const result = toolResultText(request);
    return result !== undefined ? `The sum is ${result.split('\n').at(-1)}.` : { toolCall: { tool: 'add', arguments: { a: request.index, b: 2 } } };
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-e2e-'));
  try {
    const fixture = fixtureServerConfig('fixture');
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { fixture: { command: fixture.command, args: fixture.args } } }));
    const env = { ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`, LOG_LEVEL: 'info' };
    const botMs = await answerThroughNpmStart(questions, env);
    const sent = [...llm.requests.items];
    const rawMs = await replayDirectly(sent, llm.url, path.join(dir, 'raw.sqlite'));
    return { e2e_turn_ratio: botMs / rawMs, bot_ms_per_turn: botMs / questions, raw_ms_per_turn: rawMs / questions };
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Milliseconds from "bot ready" until `npm start` has answered `questions` piped questions. */
export function answerThroughNpmStart(questions: number, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawnNpmStart(env);
    let started = 0;
    let answers = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (started === 0 && stderr.includes('"msg":"bot ready"')) {
        started = now();
        child.stdin.end(Array.from({ length: questions }, (_, index) => `question ${index}: add two numbers`).join('\n') + '\n');
      }
    });
    child.stdout.on('data', (chunk: Buffer) => {
      answers += chunk.toString().split('\n').filter(Boolean).length;
      if (answers === questions) resolve(now() - started);
    });
    child.on('error', reject);
    child.on('close', (code) => answers < questions && reject(new Error(`the bot exited (${code}) after ${answers} answers:\n${stderr.slice(-2000)}`)));
  });
}

/** The content of a streamed completion: its chunks' deltas, joined. */
export function streamedContent(events: string): string {
  return events
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => (JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
    .join('');
}

async function replayDirectly(sent: LlmRequest[], llmUrl: string, sqliteFile: string): Promise<number> {
  const client = await rawClient();
  const kv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${sqliteFile}` }) });
  await kv.set('warm', 'up');
  try {
    const started = now();
    for (const request of sent) {
      const response = await fetch(`${llmUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' }, body: JSON.stringify(request.body) });
      const content = request.body.stream === true ? streamedContent(await response.text()) : (((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '');
      if (content.startsWith('{')) {
        const call = JSON.parse(content) as { tool: string; arguments: Record<string, unknown> };
        await client.callTool({ name: call.tool, arguments: call.arguments });
      } else {
        await kv.set('console:local', [...request.messages.slice(1), { role: 'assistant', content }]);
      }
    }
    return now() - started;
  } finally {
    await client.close();
    await kv.disconnect();
  }
}
