import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeLlm } from '../test/fakes/fake-llm.js';
import { fakeLlmEnv } from '../test/helpers/bot-process.js';
import { median, now } from './measure.js';
import { spawnNpmStart } from './setup.js';

/** Milliseconds from spawning `npm start` to the first answer on stdout, for one piped question. */
function timeFirstAnswer(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawnNpmStart(env);
    let answeredAt: number | undefined;
    child.stdout.once('data', () => (answeredAt = now() - started));
    child.on('error', reject);
    child.on('close', (code) => (answeredAt !== undefined ? resolve(answeredAt) : reject(new Error(`npm start exited ${code} without answering`))));
    child.stdin.end('hi\n');
  });
}

/**
 * `npm start` as an operator runs it, to the first answer of a piped question: no MCP server, the
 * memory store, a model that answers at once. The first start (which may compile) is not counted.
 */
export async function measureFirstAnswer(rounds: number): Promise<{ startup_first_answer_ms: number }> {
  const llm = await startFakeLlm(() => 'hello');
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-first-answer-'));
  try {
    await writeFile(path.join(dir, 'servers.json'), '{"mcpServers": {}}');
    const env = { ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: 'memory://' };
    await timeFirstAnswer(env);
    const times: number[] = [];
    for (let round = 0; round < rounds; round += 1) times.push(await timeFirstAnswer(env));
    return { startup_first_answer_ms: median(times) };
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}
