import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, toolResultText, type FakeLlm } from '../../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../../fixtures/oauth-fixture.js';
import { fakeLlmEnv, startBotProcess } from '../../helpers/bot-process.js';

/** A port nothing listens on right now, for the bot's PORT. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
    const port = await freePort();
    env = {
      ...fakeLlmEnv(llm),
      MCP_CONFIG: path.join(dir, 'servers.json'),
      STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    };
  });
  afterAll(async () => {
    await llm?.close();
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs the authorization link, takes the callback on PORT, then uses the server; a restart needs no new link', async () => {
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

    const second = startBotProcess(env);
    await second.until(() => second.logs().find((line) => line.msg === 'server ready' && line.server === 'tracker'));
    second.child.stdin.end('and again\n');
    expect(await second.exited).toBe(0);
    expect(second.output.stdout.trim()).toBe('Tracker said: Result of echo:\nand again');
    expect(second.logs().filter((line) => line.msg.includes('needs authorization'))).toEqual([]);
    expect(fixture.authorizations.items).toHaveLength(1);
  }, TWO_RUNS_TIMEOUT_MS);
});
