import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { fakeLlmEnv, startBotProcess } from '../helpers/bot-process.js';
import { runCleanups } from '../helpers/teardown.js';
import { fixtureEntry, saveServersFile } from './servers-file.js';

/** One start of the real entry (tsx, MCP servers) can take over ten seconds on a loaded machine. */
const BOT_RUN_TIMEOUT_MS = 60_000;

describe('a running bot process and its servers file', () => {
  let dir: string;
  let llm: FakeLlm;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'process-reload-'));
    llm = await startFakeLlm(() => 'ok');
  });
  afterAll(async () => {
    await runCleanups([() => rm(dir, { recursive: true, force: true }), async () => await llm?.close()]);
  });

  it(
    'applies a saved file on its own, and answers the console /reload line',
    async () => {
      const file = path.join(dir, 'servers_config.json');
      await saveServersFile(file, { fixture: fixtureEntry(['echo']) });
      const bot = startBotProcess({ ...fakeLlmEnv(llm), MCP_CONFIG: file, STORE_URL: 'memory://' });
      try {
        const logged = (msg: string, count = 1) => bot.until(() => (bot.logs().filter((entry) => entry.msg === msg).length >= count ? true : undefined));
        await logged('bot ready');

        await saveServersFile(file, { fixture: fixtureEntry(['echo']), notes: fixtureEntry(['add']) });
        await logged('servers file reloaded');
        expect(bot.logs().find((entry) => entry.msg === 'servers file reloaded')).toMatchObject({ by: 'file change', added: ['notes'], removed: [], restarted: [] });

        await saveServersFile(file, '{');
        await logged('servers file refused; the running servers stay');

        bot.child.stdin.write('/reload\n');
        await bot.until(() => (bot.output.stdout.includes('\n') ? true : undefined));
        expect(bot.output.stdout).toMatch(/^The servers file was not loaded, so the running servers stay as they are: .*servers_config\.json: not valid JSON/);
        bot.child.stdin.end();
        expect(await bot.exited).toBe(0);
      } finally {
        bot.child.kill('SIGKILL');
      }
    },
    BOT_RUN_TIMEOUT_MS,
  );
});
