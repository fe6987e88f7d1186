import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { fakeLlmEnv, startBotProcess } from '../../helpers/bot-process.js';

describe('LLM_CONTEXT_TOKENS at start-up', () => {
  let llm: FakeLlm;
  let dir: string;

  beforeAll(async () => {
    llm = await startFakeLlm(() => 'ok');
    dir = await mkdtemp(path.join(tmpdir(), 'console-context-'));
    await writeFile(path.join(dir, 'servers.json'), '{"mcpServers": {}}');
  });
  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops with one line naming the setting when even the smallest request cannot fit', async () => {
    const bot = startBotProcess({ ...fakeLlmEnv(llm), LLM_CONTEXT_TOKENS: '200', MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: 'memory://' });
    bot.child.stdin.end('hi\n');
    expect(await bot.exited).toBe(1);
    expect(bot.output.stderr.trim()).toMatch(/^error: LLM_CONTEXT_TOKENS=200 is too small: .* need about \d+ tokens; set it to the context size the model is served with$/);
    expect(bot.output.stdout).toBe('');
    expect(llm.requests.items).toHaveLength(0);
  });
});
