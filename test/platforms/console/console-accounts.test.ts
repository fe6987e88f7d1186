import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, toolResultText, type FakeLlm } from '../../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../../fixtures/oauth-fixture.js';
import { oauthBotEnv, startBotProcess, type BotProcess } from '../../helpers/bot-process.js';

const LINK = /Connect tracker: (\S+)/g;

/** Every connect link the bot has written to standard error so far. */
const links = (bot: BotProcess) => [...bot.output.stderr.matchAll(LINK)].map((match) => match[1]!);

/** What a person's browser does with a link: approve as `login`, then land on the bot's callback. */
async function follow(link: string, login: string): Promise<number> {
  const url = new URL(link);
  url.searchParams.set('login', login);
  const approved = await fetch(url, { redirect: 'manual' });
  return (await fetch(approved.headers.get('location')!)).status;
}

describe('npm start with a per-person OAuth server ("perUser": true), the console bot', () => {
  let dir: string;
  let llm: FakeLlm;
  let fixture: OAuthFixture;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-accounts-'));
    fixture = await startOAuthFixture();
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { tracker: { url: fixture.url, auth: { type: 'oauth', perUser: true } } } }));
    llm = await startFakeLlm((request) => {
      const result = toolResultText(request);
      if (result !== undefined) return `Tracker said: ${result}`;
      const system = request.messages[0]?.content ?? '';
      if (system.includes('- echo:')) return { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } };
      return system.includes('has not connected theirs: tracker') ? 'Connect tracker first.' : 'No tools.';
    });
    env = await oauthBotEnv(llm, dir, randomBytes(32).toString('base64'));
  });
  afterAll(async () => {
    await llm?.close();
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without TOKEN_ENCRYPTION_KEY, in one line', async () => {
    const bot = startBotProcess({ ...env, TOKEN_ENCRYPTION_KEY: '' });
    expect(await bot.exited).not.toBe(0);
    expect(bot.output.stderr).toContain('server "tracker" ("auth": {"perUser": true}) keeps people\'s OAuth tokens, which are stored only encrypted: set TOKEN_ENCRYPTION_KEY');
  });

  it('puts the connect link on standard error once, answers without the tools until the operator connects, then with them; /tools, /disconnect and /connect', async () => {
    const bot = startBotProcess(env);
    await bot.until(() => bot.logs().find((line) => line.msg === 'bot ready'));
    bot.child.stdin.write('hello\n');
    await bot.until(() => (bot.output.stdout.includes('Connect tracker first.') ? true : undefined));
    bot.child.stdin.write('again\n');
    await bot.until(() => (bot.output.stdout.split('Connect tracker first.').length === 3 ? true : undefined));
    // One link, on standard error only.
    expect(links(bot)).toHaveLength(1);
    expect(bot.output.stdout).not.toContain('Connect tracker:');

    expect(await follow(links(bot)[0]!, 'operator')).toBe(200);
    bot.child.stdin.write('via tracker\n');
    await bot.until(() => (bot.output.stdout.includes('Tracker said: Result of echo:\nvia tracker') ? true : undefined));
    expect(new Set(fixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['operator']));

    bot.child.stdin.write('/tools\n');
    await bot.until(() => (/tracker \(connected\)/.test(bot.output.stdout) ? true : undefined));
    bot.child.stdin.write('/disconnect tracker\n');
    await bot.until(() => (bot.output.stdout.includes('Disconnected:') ? true : undefined));
    bot.child.stdin.write('/connect tracker\n');
    await bot.until(() => (links(bot).length === 2 ? true : undefined));
    bot.child.stdin.end('after disconnect\n');
    expect(await bot.exited).toBe(0);
    expect(bot.output.stdout.trim().split('\n').at(-1)).toBe('Connect tracker first.');
  }, 60_000);
});
