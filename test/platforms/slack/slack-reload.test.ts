import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServersConfig } from '../../../src/config/index.js';
import { ServersReload } from '../../../src/reload/index.js';
import { CHANNEL_ID, OTHER_USER_ID, USER_ID } from '../../fakes/fake-slack.js';
import { runCleanups } from '../../helpers/teardown.js';
import { fixtureEntry, saveServersFile } from '../../reload/servers-file.js';
import { startSlackBot, type SlackBot } from './slack-bot.js';

describe('/reload on Slack', () => {
  let dir: string;
  let file: string;
  let bot: SlackBot;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slack-reload-'));
    file = path.join(dir, 'servers_config.json');
    await saveServersFile(file, { fixture: fixtureEntry(['echo']), old: fixtureEntry(['add']) });
    bot = await startSlackBot({
      mode: 'http',
      servers: await loadServersConfig(file, process.env),
      reload: (harness) => new ServersReload({ file, env: process.env, pool: harness.pool, access: harness.access, admins: [USER_ID], tokenEncryption: undefined, logger: harness.logger }),
    });
  });
  afterAll(async () => {
    await runCleanups([() => rm(dir, { recursive: true, force: true }), async () => await bot?.close()]);
  });

  /** Runs /reload as `user` and resolves with the private answer it got. */
  const reloadAs = async (user: string) => {
    const before = bot.slack.calls.items.length;
    await bot.command('/reload', '', CHANNEL_ID, user);
    const answer = await bot.slack.calls.waitFor((call) => call.method === 'respond' && bot.slack.calls.items.indexOf(call) >= before, { what: 'the answer to /reload', timeoutMs: 30_000 });
    expect(answer.args.response_type).toBe('ephemeral');
    return String(answer.args.text);
  };

  it('reloads for an admin and says what changed', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo']), added: fixtureEntry(['image']) });
    expect(await reloadAs(USER_ID)).toBe('Servers reloaded: added "added"; removed "old".');
    expect(bot.harness.pool.tools().map((tool) => tool.name)).toEqual(['echo', 'image']);
    expect(await reloadAs(USER_ID)).toBe('Servers reloaded: no change.');
  });

  it('tells an admin why a broken file was refused', async () => {
    await saveServersFile(file, '{ nope');
    expect(await reloadAs(USER_ID)).toMatch(/^The servers file was not loaded, so the running servers stay as they are: .*servers_config\.json: not valid JSON/);
    expect(bot.harness.pool.tools().map((tool) => tool.name)).toEqual(['echo', 'image']);
  });

  it('refuses someone who is not an admin, and reloads nothing', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo']) });
    expect(await reloadAs(OTHER_USER_ID)).toBe('Only the bot admins (ADMIN_USERS) can reload the servers.');
    expect(Object.keys(bot.harness.pool.serverStates())).toEqual(['fixture', 'added']);
  });
});
