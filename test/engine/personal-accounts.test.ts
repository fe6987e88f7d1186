import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Asker } from '../../src/access/index.js';
import { parseServer } from '../../src/config/index.js';
import type { TurnEvent } from '../../src/engine/index.js';
import { serveRoutes } from '../../src/http/index.js';
import { oauthCallbackRoute, type McpPool } from '../../src/mcp/index.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../fixtures/oauth-fixture.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { testLogger } from '../helpers/logger.js';

const ALICE: Asker = testAsker('alice', { personId: 'test:alice' });
const BOB: Asker = testAsker('bob', { personId: 'test:bob' });

/** The model calls `echo` when it is offered, and otherwise says what the system prompt told it. */
function script(request: LlmRequest): string | { toolCall: { tool: string; arguments: Record<string, unknown> } } {
  const result = toolResultText(request);
  if (result !== undefined) return `Tracker said: ${result}`;
  const system = request.messages[0]?.content ?? '';
  if (system.includes('- echo:')) return { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } };
  return system.includes('has not connected theirs: tracker') ? 'You have not connected tracker yet.' : 'No tools.';
}

const linksOf = (events: TurnEvent[]) => events.flatMap((event) => (event.type === 'connect-links' ? event.links : []));

/** What a person's browser does with a link: approve as `login`, then land on the bot's callback. */
async function follow(link: string, login: string): Promise<{ status: number; body: string; callback: string }> {
  const url = new URL(link);
  url.searchParams.set('login', login);
  const approved = await fetch(url, { redirect: 'manual' });
  const callback = approved.headers.get('location')!;
  const landing = await fetch(callback);
  return { status: landing.status, body: await landing.text(), callback };
}

async function storedRows(file: string): Promise<string> {
  const sqlite = new KeyvSqlite({ uri: `sqlite://${file}` });
  try {
    const rows = (await sqlite.query('SELECT key, value FROM keyv')) as { key: string; value: string }[];
    return rows.map((row) => `${row.key}=${row.value}`).join('\n');
  } finally {
    await sqlite.disconnect();
  }
}

describe('per-person accounts on a remote OAuth server ("perUser": true), through the engine', () => {
  let fixture: OAuthFixture;
  let dir: string;
  let callbackServer: Server;
  let publicUrl: string;
  /** The pool the callback route hands codes to; swapped on a "restart". */
  let current: McpPool | undefined;
  const secrets = new SecretBox(randomBytes(32));
  const harnesses: EngineHarness[] = [];

  const start = async (options: { personal?: { idleMs: number; maxConnections: number } } = {}) => {
    const servers = [parseServer('servers.json', 'tracker', { url: fixture.url, auth: { type: 'oauth', perUser: true } }, process.env)];
    const harness = await startEngineHarness({
      script,
      servers,
      storeUrl: `sqlite://${path.join(dir, 'bot.sqlite')}`,
      oauth: { publicUrl, secrets },
      mcp: { personal: options.personal },
    });
    harnesses.push(harness);
    current = harness.pool;
    return harness;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'personal-'));
    fixture = await startOAuthFixture();
    callbackServer = await serveRoutes([oauthCallbackRoute({ completeAuthorization: async (state, code, iss) => current?.completeAuthorization(state, code, iss) }, testLogger())], 0, testLogger());
    publicUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) await harness.close();
  });
  afterAll(async () => {
    await new Promise((resolve) => callbackServer?.close(resolve));
    await fixture?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('offers each person one private link, runs their calls with their own token only, refuses forged and replayed states, and keeps both accounts across a restart, sealed', async () => {
    const harness = await start();
    const first = await harness.ask('hello', 'test:a', ALICE);
    expect(first.answer?.text).toBe('You have not connected tracker yet.');
    const [aliceLink, ...more] = linksOf(first.events);
    expect(more).toEqual([]);
    expect(aliceLink?.server).toBe('tracker');
    expect(new URL(aliceLink!.url).searchParams.get('redirect_uri')).toBe(`${publicUrl}/oauth/callback`);
    // The model never saw the tool, and was told why.
    expect(harness.llm.requests.items[0]?.messages[0]?.content).toContain('has not connected theirs: tracker');
    // Asked again before connecting: no second link (at most one a day without /connect).
    expect(linksOf((await harness.ask('still there?', 'test:a', ALICE)).events)).toEqual([]);

    const landing = await follow(aliceLink!.url, 'alice');
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('your account on "tracker" is connected');
    const connected = await harness.ask('as alice', 'test:a', ALICE);
    expect(connected.answer?.text).toBe('Tracker said: Result of echo:\nas alice');

    // Bob has not connected: no tools for him, and his own link.
    const bobFirst = await harness.ask('hello from bob', 'test:b', BOB);
    expect(bobFirst.answer?.text).toBe('You have not connected tracker yet.');
    const [bobLink] = linksOf(bobFirst.events);
    expect((await follow(bobLink!.url, 'bob')).status).toBe(200);
    fixture.mcpRequests.clear();
    expect((await harness.ask('as bob', 'test:b', BOB)).answer?.text).toBe('Tracker said: Result of echo:\nas bob');
    expect((await harness.ask('alice again', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nalice again');
    // Every request on the server carried the asker's own token: Bob's connection then Alice's, never crossed.
    const accounts = fixture.mcpRequests.items.map((request) => request.account);
    expect(new Set(accounts)).toEqual(new Set(['bob', 'alice']));
    const tokenOf = (account: string) => fixture.grants.items.find((grant) => grant.account === account)!.accessToken;
    for (const request of fixture.mcpRequests.items) expect(request.token).toBe(tokenOf(request.account));

    // The link Alice used cannot be used again, and a made-up state is refused.
    const replayed = await fetch(landing.callback);
    expect(replayed.status).toBe(400);
    const forged = new URL(landing.callback);
    forged.searchParams.set('state', randomBytes(24).toString('base64url'));
    expect((await fetch(forged)).status).toBe(400);

    expect((await harness.engine.listTools(ALICE)).map(({ server, state }) => ({ server, state }))).toEqual([{ server: 'tracker', state: 'connected' }]);
    await harness.close();
    harnesses.length = 0;

    // Stored sealed: neither person's tokens, nor the client secret, are in the file in clear.
    const rows = await storedRows(path.join(dir, 'bot.sqlite'));
    expect(rows).toContain('oauth:tracker:person:test:alice:tokens');
    for (const grant of fixture.grants.items) {
      expect(rows).not.toContain(grant.accessToken);
      expect(rows).not.toContain(grant.refreshToken);
    }
    for (const registration of fixture.registrations.items) if (registration.clientSecret) expect(rows).not.toContain(registration.clientSecret);

    // A restart reads both accounts back: no new link, each call with its own person's token.
    const restarted = await start();
    fixture.mcpRequests.clear();
    const afterRestart = await restarted.ask('after restart', 'test:b', BOB);
    expect(afterRestart.answer?.text).toBe('Tracker said: Result of echo:\nafter restart');
    expect(linksOf(afterRestart.events)).toEqual([]);
    expect(new Set(fixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['bob']));
    expect(fixture.authorizations.items).toHaveLength(2);
  }, 60_000);
});
