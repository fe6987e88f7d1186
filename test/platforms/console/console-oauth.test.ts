import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, toolResultText, type FakeLlm } from '../../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../../fixtures/oauth-fixture.js';
import { oauthBotEnv, startBotProcess } from '../../helpers/bot-process.js';
import { storedRows } from '../../helpers/stored-rows.js';

const UNENCRYPTED_WARNING = 'OAuth tokens of remote MCP servers are stored unencrypted: set TOKEN_ENCRYPTION_KEY to encrypt them (make a key with `openssl rand -base64 32`)';

/** The test starts the bot twice and goes through an authorization between; each start can take over ten seconds on a loaded machine. */
const TWO_RUNS_TIMEOUT_MS = 90_000;

describe('npm start with a remote MCP server behind OAuth (the SDK’s authorization server, the console bot)', () => {
  let dir: string;
  let llm: FakeLlm;
  let fixture: OAuthFixture;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-oauth-'));
    fixture = await startOAuthFixture();
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { tracker: { url: fixture.url, auth: { type: 'oauth' } } } }));
    llm = await startFakeLlm((request) => {
      const result = toolResultText(request);
      if (result !== undefined) return `Tracker said: ${result}`;
      return { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } };
    });
    env = await oauthBotEnv(llm, dir, '');
  });
  afterAll(async () => {
    await llm?.close();
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs the authorization link, takes the callback on PORT, then uses the server; a restart with TOKEN_ENCRYPTION_KEY needs no new link and encrypts the tokens', async () => {
    const first = startBotProcess(env);
    const ask = await first.until(() => first.logs().find((line) => line.msg === 'MCP server needs authorization: open this link and approve'));
    expect(ask.server).toBe('tracker');
    const link = new URL(ask.url!);
    expect(link.searchParams.get('redirect_uri')).toBe(`${env.PUBLIC_URL}/oauth/callback`);
    // The bot is up meanwhile, and says what the server waits for.
    await first.until(() => first.logs().find((line) => line.msg === 'bot ready'));
    first.child.stdin.write('/tools\n');
    await first.until(() => (first.output.stdout.includes('tracker (needs-authorization)') ? true : undefined));

    // What a person's browser does: approve at the authorization server, land on the bot's callback.
    const approved = await fetch(link, { redirect: 'manual' });
    const landing = await fetch(approved.headers.get('location')!);
    expect(landing.status).toBe(200);
    await first.until(() => first.logs().find((line) => line.msg === 'server ready' && line.server === 'tracker'));

    first.child.stdin.end('hello through oauth\n');
    expect(await first.exited).toBe(0);
    expect(first.output.stdout).toContain('Tracker said: Result of echo:\nhello through oauth');
    // Without a key the operator is told, once, and the tokens are stored as they were before keys existed.
    expect(first.logs().filter((line) => line.msg === UNENCRYPTED_WARNING)).toHaveLength(1);
    const [grant] = fixture.grants.items;
    const [registration] = fixture.registrations.items;
    const secrets = [grant!.accessToken, grant!.refreshToken, registration!.clientSecret!];
    const clear = await storedRows(path.join(dir, 'bot.sqlite'));
    for (const secret of secrets) expect(clear).toContain(secret);

    const second = startBotProcess({ ...env, TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    await second.until(() => second.logs().find((line) => line.msg === 'server ready' && line.server === 'tracker'));
    second.child.stdin.end('and again\n');
    expect(await second.exited).toBe(0);
    expect(second.output.stdout.trim()).toBe('Tracker said: Result of echo:\nand again');
    expect(second.logs().filter((line) => line.msg.includes('needs authorization'))).toEqual([]);
    expect(fixture.authorizations.items).toHaveLength(1);
    // The first start with a key encrypted what the first run stored in clear, in place.
    expect(second.logs().filter((line) => line.msg === 'stored OAuth credentials encrypted with TOKEN_ENCRYPTION_KEY')).toHaveLength(2);
    expect(second.logs().filter((line) => line.msg === UNENCRYPTED_WARNING)).toEqual([]);
    const sealed = await storedRows(path.join(dir, 'bot.sqlite'));
    expect(sealed).toContain('oauth:tracker:tokens');
    for (const secret of secrets) expect(sealed).not.toContain(secret);
  }, TWO_RUNS_TIMEOUT_MS);
});
