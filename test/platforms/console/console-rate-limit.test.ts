import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { fakeLlmEnv, startBotProcess } from '../../helpers/bot-process.js';

describe('the console is the operator', () => {
  let llm: FakeLlm;
  let dir: string;

  beforeAll(async () => {
    llm = await startFakeLlm((request) => `echo ${request.lastUserText}`);
    dir = await mkdtemp(path.join(tmpdir(), 'console-rate-'));
    await writeFile(path.join(dir, 'servers.json'), '{"mcpServers": {}}');
  });
  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers more piped lines than RATE_LIMIT_PER_MIN without a rate-limit notice', async () => {
    const lines = Array.from({ length: 25 }, (_, index) => `line ${index + 1}`);
    const bot = startBotProcess({ ...fakeLlmEnv(llm), RATE_LIMIT_PER_MIN: '20', MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: 'memory://' });
    bot.child.stdin.end(`${lines.join('\n')}\n`);
    expect(await bot.exited, bot.output.stderr).toBe(0);
    expect(bot.output.stdout.trim().split('\n')).toEqual(lines.map((line) => `echo ${line}`));
  });
});
