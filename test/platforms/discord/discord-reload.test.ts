import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServersConfig } from '../../../src/config/index.js';
import { ServersReload } from '../../../src/reload/index.js';
import { APPLICATION_ID, OTHER_USER, USER } from '../../fakes/fake-discord.js';
import { runCleanups } from '../../helpers/teardown.js';
import { fixtureEntry, saveServersFile } from '../../reload/servers-file.js';
import { startDiscordBot, type DiscordBot } from './discord-bot.js';

describe('/reload on Discord', () => {
  let dir: string;
  let file: string;
  let bot: DiscordBot;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'discord-reload-'));
    file = path.join(dir, 'servers_config.json');
    await saveServersFile(file, { fixture: fixtureEntry(['echo']) });
    bot = await startDiscordBot({
      script: () => 'ok',
      servers: await loadServersConfig(file, process.env),
      reload: (harness) => new ServersReload({ file, env: process.env, pool: harness.pool, access: harness.access, admins: [USER.id], tokenEncryption: undefined, logger: harness.logger }),
    });
  });
  afterAll(async () => {
    await runCleanups([() => rm(dir, { recursive: true, force: true }), async () => await bot?.close()]);
  });

  /** Runs /reload as `user`: checks it was deferred privately, and resolves with the answer edited in. */
  const reloadAs = async (user: typeof USER) => {
    const interaction = bot.discord.interaction('reload', { user });
    const deferral = await bot.discord.waitForCall('POST', new RegExp(`^/interactions/${interaction.id}/${interaction.token}/callback$`));
    expect(deferral.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const edited = await bot.discord.rest.waitFor((call) => call.method === 'PATCH' && new RegExp(`^/webhooks/${APPLICATION_ID}/${interaction.token}/messages/(@|%40)original$`).test(call.path), {
      what: 'the answer to /reload',
      timeoutMs: 30_000,
    });
    return String(edited.body.content);
  };

  it('registers /reload with the other commands', async () => {
    const registration = await bot.discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/commands$`));
    expect(registration.body.map((command: { name: string }) => command.name)).toContain('reload');
  });

  it('reloads for an admin and says what changed', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo', 'add']), notes: fixtureEntry(['image']) });
    expect(await reloadAs(USER)).toBe('Servers reloaded: added "notes"; restarted "fixture".');
    expect(bot.harness.pool.tools().map((tool) => tool.name)).toEqual(['echo', 'add', 'image']);
  });

  it('refuses someone who is not an admin, and reloads nothing', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo']) });
    expect(await reloadAs(OTHER_USER)).toBe('Only the bot admins (ADMIN_USERS) can reload the servers.');
    expect(Object.keys(bot.harness.pool.serverStates())).toEqual(['fixture', 'notes']);
  });
});
