import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { fakeLlmEnv, startBotProcess, type BotProcess } from '../../helpers/bot-process.js';

describe('the console, as an operator runs it', () => {
  let llm: FakeLlm;
  let dir: string;

  beforeAll(async () => {
    llm = await startFakeLlm((request) => `echo ${request.lastUserText}`);
    dir = await mkdtemp(path.join(tmpdir(), 'console-operator-'));
    await writeFile(path.join(dir, 'servers.json'), '{"mcpServers": {}}');
  });
  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The bot with no MCP server and the memory store, the given lines piped in. */
  function pipeInto(lines: string[], env: Record<string, string>): BotProcess {
    const bot = startBotProcess({ ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: 'memory://', ...env });
    bot.child.stdin.end(`${lines.join('\n')}\n`);
    return bot;
  }

  it('answers more piped lines than RATE_LIMIT_PER_MIN without a rate-limit notice: the console is the operator', async () => {
    const lines = Array.from({ length: 25 }, (_, index) => `line ${index + 1}`);
    const bot = pipeInto(lines, { RATE_LIMIT_PER_MIN: '20' });
    expect(await bot.exited, bot.output.stderr).toBe(0);
    expect(bot.output.stdout.trim().split('\n')).toEqual(lines.map((line) => `echo ${line}`));
  });

  it('stops with one line naming LLM_CONTEXT_TOKENS when even the smallest request cannot fit', async () => {
    llm.requests.clear();
    const bot = pipeInto(['hi'], { LLM_CONTEXT_TOKENS: '200' });
    expect(await bot.exited).toBe(1);
    expect(bot.output.stderr.trim()).toMatch(/^error: LLM_CONTEXT_TOKENS=200 is too small: .* need about \d+ tokens; set it to the context size the model is served with$/);
    expect(bot.output.stdout).toBe('');
    expect(llm.requests.items).toHaveLength(0);
  });
});
