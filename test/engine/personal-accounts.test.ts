import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Asker } from '../../src/access/index.js';
import { parseServer } from '../../src/config/index.js';
import type { TurnEvent } from '../../src/engine/index.js';
import { serveRoutes } from '../../src/http/index.js';
import { oauthCallbackRoute, type McpPool } from '../../src/mcp/index.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { startOAuthFixture, type OAuthFixture } from '../fixtures/oauth-fixture.js';
import { taskServer } from '../fixtures/task-fixture.js';
import { TaskReply } from '../helpers/recording-reply.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { capturingLogger, testLogger } from '../helpers/logger.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';
import type { Logger } from '../../src/logging/logger.js';
import { storedRows } from '../helpers/stored-rows.js';

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

describe('per-person accounts on a remote OAuth server ("perUser": true), through the engine', () => {
  let fixture: OAuthFixture;
  let dir: string;
  let callbackServer: Server;
  let publicUrl: string;
  /** The pool the callback route hands codes to; swapped on a "restart". */
  let current: McpPool | undefined;
  const secrets = new SecretBox(randomBytes(32));
  const harnesses: EngineHarness[] = [];
  /** Each test's own store; a restart within a test keeps it. */
  let storeFile: string;
  let tests = 0;

  const start = async (options: { personal?: { idleMs: number; maxConnections: number }; logger?: Logger; store?: { url: string; namespace: string } } = {}) => {
    const servers = [parseServer('servers.json', 'tracker', { url: fixture.url, auth: { type: 'oauth', perUser: true } }, process.env)];
    const harness = await startEngineHarness({
      script,
      servers,
      storeUrl: options.store?.url ?? `sqlite://${storeFile}`,
      storeNamespace: options.store?.namespace,
      oauth: { publicUrl, secrets },
      mcp: { personal: options.personal },
      logger: options.logger,
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
  beforeEach(() => {
    tests += 1;
    storeFile = path.join(dir, `bot-${tests}.sqlite`);
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

    expect(await harness.engine.listTools(ALICE)).toEqual([{ server: 'tracker', state: 'connected', tools: expect.arrayContaining([expect.objectContaining({ name: 'echo' })]) }]);
    await harness.close();
    harnesses.length = 0;

    // Stored sealed: neither person's tokens, nor the client secret, are in the file in clear.
    const rows = await storedRows(storeFile);
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

  /** Connects `asker` through `/connect` as `login`; resolves once their tokens are stored. */
  const connect = async (harness: EngineHarness, asker: Asker, login: string) => {
    const result = await harness.engine.connectAccount(asker, 'tracker');
    if (result.kind !== 'link') throw new Error(`expected a link, got ${result.kind}`);
    expect((await follow(result.link.url, login)).status).toBe(200);
  };

  it('asks a person to connect again when their tokens are refused and cannot be refreshed, never falling back to another account', async () => {
    const harness = await start();
    await connect(harness, ALICE, 'alice');
    await connect(harness, BOB, 'bob');
    expect((await harness.ask('warm up', 'test:b', BOB)).answer?.text).toBe('Tracker said: Result of echo:\nwarm up');
    fixture.refuseRefresh = true;
    fixture.expireAccessTokens();
    fixture.mcpRequests.clear();
    let again: string | undefined;
    try {
      const refused = await harness.ask('expired', 'test:b', BOB);
      const [link, ...more] = linksOf(refused.events);
      again = link?.url;
      expect(more).toEqual([]);
      expect(link?.server).toBe('tracker');
      expect(refused.answer?.text).toMatch(/^Tracker said: Result of echo:\nserver "tracker" no longer accepts this person.s account/);
      // Nothing reached the server with a token that was not Bob's.
      expect(fixture.mcpRequests.items.filter((request) => request.account !== 'bob')).toEqual([]);
      expect(await harness.pool.accounts.isConnected(BOB.personId, 'tracker')).toBe(false);
      const next = await harness.ask('and now?', 'test:b', BOB);
      expect(next.answer?.text).toBe('You have not connected tracker yet.');
    } finally {
      fixture.refuseRefresh = false;
    }
    // The link works: Bob connects again and his calls go through.
    expect((await follow(again!, 'bob')).status).toBe(200);
    expect((await harness.ask('back', 'test:b', BOB)).answer?.text).toBe('Tracker said: Result of echo:\nback');
  }, 60_000);

  it('forgets a person on /disconnect, and an access list that drops them takes the tools away with their tokens still stored', async () => {
    const harness = await start();
    await connect(harness, ALICE, 'alice');
    expect((await harness.engine.connectAccount(ALICE, 'tracker')).kind).toBe('connected');
    expect((await harness.ask('first', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nfirst');

    harness.access.setServers([{ name: 'tracker', allowUsers: ['bob'], confirmTools: [] }]);
    const dropped = await harness.ask('dropped', 'test:a', ALICE);
    expect(dropped.answer?.text).toBe('No tools.');
    expect(linksOf(dropped.events)).toEqual([]);
    expect(await harness.engine.listTools(ALICE)).toEqual([]);
    expect((await harness.engine.connectAccount(ALICE, 'tracker')).kind).toBe('unknown');
    expect(await harness.pool.accounts.isConnected(ALICE.personId, 'tracker')).toBe(true);

    harness.access.setServers([{ name: 'tracker', confirmTools: [] }]);
    const aliceGrant = fixture.grants.items.findLast((grant) => grant.account === 'alice')!;
    expect(await harness.engine.disconnectAccount(ALICE, 'tracker')).toBe(true);
    // Revoked at the authorization server too (RFC 7009), refresh token first.
    expect(fixture.revocations.items.slice(-2)).toEqual([
      { token: aliceGrant.refreshToken, hint: 'refresh_token' },
      { token: aliceGrant.accessToken, hint: 'access_token' },
    ]);
    expect(await harness.engine.disconnectAccount(ALICE, 'tracker')).toBe(false);
    expect(await harness.engine.disconnectAccount(ALICE, 'nowhere')).toBeUndefined();
    const after = await harness.ask('after', 'test:a', ALICE);
    expect(after.answer?.text).toBe('You have not connected tracker yet.');
    // Who just disconnected gets no link with their next question; /connect gives one.
    expect(linksOf(after.events)).toEqual([]);
    expect((await harness.engine.listTools(ALICE)).map(({ state }) => state)).toEqual(['not connected']);
  }, 60_000);

  it('closes a person’s idle connection, and the least recently used one past MCP_USER_CONNECTIONS_MAX', async () => {
    const carol = testAsker('carol', { personId: 'test:carol' });
    const captured = capturingLogger();
    const harness = await start({ personal: { idleMs: 60_000, maxConnections: 2 }, logger: captured.logger });
    for (const [asker, login] of [[ALICE, 'alice'], [BOB, 'bob'], [carol, 'carol']] as const) await connect(harness, asker, login);
    const closed = () => captured.logs.filter((line) => line.msg === 'personal connection closed').map((line) => `${(line as { person?: string }).person}: ${line.reason}`);
    await harness.ask('a', 'test:a', ALICE);
    await harness.ask('b', 'test:b', BOB);
    expect(harness.pool.personalConnections).toBe(2);
    expect(closed()).toEqual([]);
    await harness.ask('c', 'test:c', carol);
    // Alice's was used least recently: it closed to make room.
    expect(closed()).toEqual(['test:alice: MCP_USER_CONNECTIONS_MAX reached: least recently used']);
    expect(harness.pool.personalConnections).toBe(2);
    // It opens again on her next question, with her own token.
    fixture.mcpRequests.clear();
    expect((await harness.ask('again', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nagain');
    expect(new Set(fixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['alice']));
    expect(closed()).toEqual(['test:alice: MCP_USER_CONNECTIONS_MAX reached: least recently used', 'test:bob: MCP_USER_CONNECTIONS_MAX reached: least recently used']);
    await harness.close();
    harnesses.length = 0;

    const { logger, logs } = capturingLogger();
    const idle = await start({ personal: { idleMs: 300, maxConnections: 10 }, logger });
    await idle.ask('one', 'test:a', ALICE);
    await logs.waitFor((line) => line.msg === 'personal connection closed' && line.reason === 'idle', { what: 'the idle connection closed', timeoutMs: 10_000 });
    expect(idle.pool.personalConnections).toBe(0);
  }, 60_000);

  it('follows a reloaded servers file: a changed per-person server closes people’s connections and keeps their tokens; a removed one takes its tools away', async () => {
    const harness = await start();
    await connect(harness, ALICE, 'alice');
    await harness.ask('before', 'test:a', ALICE);
    expect(harness.pool.personalConnections).toBe(1);
    const entry = { url: fixture.url, auth: { type: 'oauth', perUser: true } };
    const changed = await harness.pool.apply([parseServer('servers.json', 'tracker', { ...entry, timeoutMs: 20_000 }, process.env)]);
    expect(changed).toEqual({ added: [], removed: [], restarted: ['tracker'] });
    expect(harness.pool.personalConnections).toBe(0);
    expect((await harness.ask('after the change', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nafter the change');

    expect(await harness.pool.apply([])).toEqual({ added: [], removed: ['tracker'], restarted: [] });
    expect(harness.pool.accounts.servers()).toEqual([]);
    expect((await harness.ask('after the removal', 'test:a', ALICE)).answer?.text).toBe('No tools.');
    expect(await harness.pool.apply([parseServer('servers.json', 'tracker', entry, process.env)])).toEqual({ added: ['tracker'], removed: [], restarted: [] });
    expect((await harness.ask('put back', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nput back');
  }, 60_000);

  it('registers the bot once when two people ask for their first link at the same moment, and both links work', async () => {
    const harness = await start();
    const registered = fixture.registrations.items.length;
    const [alice, bob] = await Promise.all([harness.engine.connectAccount(ALICE, 'tracker'), harness.engine.connectAccount(BOB, 'tracker')]);
    expect(fixture.registrations.items.length - registered).toBe(1);
    for (const [result, login] of [[alice, 'alice'], [bob, 'bob']] as const) {
      if (result?.kind !== 'link') throw new Error(`expected a link, got ${result?.kind}`);
      expect((await follow(result.link.url, login)).status).toBe(200);
    }
    expect(await harness.pool.accounts.isConnected(BOB.personId, 'tracker')).toBe(true);
    expect(await harness.pool.accounts.isConnected(ALICE.personId, 'tracker')).toBe(true);
  }, 60_000);

  it.skipIf(!redisAvailable)('works across processes on one Redis: a link made on one is completed on another, and the daily mark and the tokens are shared', async () => {
    const store = { url: REDIS_URL, namespace: `test-${randomUUID()}` };
    const a = await start({ store });
    const b = await start({ store });
    try {
      const first = await a.ask('hello', 'test:a', ALICE);
      const [link] = linksOf(first.events);
      // The callback reaches the other process.
      current = b.pool;
      expect((await follow(link!.url, 'alice')).status).toBe(200);
      // The other process saw the link offered already: no second note.
      fixture.mcpRequests.clear();
      const onB = await b.ask('on b', 'test:b', ALICE);
      expect(linksOf(onB.events)).toEqual([]);
      expect(onB.answer?.text).toBe('Tracker said: Result of echo:\non b');
      expect((await a.ask('on a', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\non a');
      expect(new Set(fixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['alice']));
      // Bob's first two questions, in two threads on two processes at the same moment: one link between them.
      const [bobOnA, bobOnB] = await Promise.all([a.ask('bob on a', 'test:c', BOB), b.ask('bob on b', 'test:d', BOB)]);
      expect([...linksOf(bobOnA.events), ...linksOf(bobOnB.events)]).toHaveLength(1);

      // Both processes hold a connection of Alice's. One refreshes her expired tokens (the old refresh
      // token then stops working); the other goes on with the refreshed ones instead of asking her to connect again.
      const refreshes = fixture.grants.filter((grant) => grant.grantType === 'refresh_token').length;
      fixture.expireAccessTokens();
      expect((await a.ask('refreshed on a', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nrefreshed on a');
      expect(fixture.grants.filter((grant) => grant.grantType === 'refresh_token').length).toBe(refreshes + 1);
      const stillOnB = await b.ask('still on b', 'test:b', ALICE);
      expect(linksOf(stillOnB.events)).toEqual([]);
      expect(stillOnB.answer?.text).toBe('Tracker said: Result of echo:\nstill on b');
      expect(fixture.grants.filter((grant) => grant.grantType === 'refresh_token').length).toBe(refreshes + 1);
    } finally {
      await forgetNamespace(b.store, REDIS_URL);
    }
  }, 60_000);

  it('does not hold a question for a person’s connection that hangs: the turn goes on without it, and the next one has the tools once it opens', async () => {
    const { logger, logs } = capturingLogger();
    const harness = await start({ logger });
    await connect(harness, ALICE, 'alice');
    fixture.holdMcpRequests();
    try {
      const waited = await harness.ask('while it hangs', 'test:a', ALICE);
      expect(waited.answer?.text).toBe('No tools.');
      expect(harness.llm.requests.items.at(-1)?.messages[0]?.content).toContain('The tool server tracker cannot be reached for the person asking right now (still connecting');
      // The next question does not wait again for the same attempt.
      const requests = fixture.mcpRequests.items.length;
      expect((await harness.ask('still hanging', 'test:a', ALICE)).answer?.text).toBe('No tools.');
      expect(fixture.mcpRequests.items.length).toBe(requests);
    } finally {
      fixture.answerHeld();
    }
    await logs.waitFor((line) => line.msg === 'server ready' && (line as { person?: string }).person === ALICE.personId, { what: 'Alice’s connection open', timeoutMs: 20_000 });
    expect((await harness.ask('now', 'test:a', ALICE)).answer?.text).toBe('Tracker said: Result of echo:\nnow');
  }, 60_000);

  it('cancels at start-up a task a person’s call left running, on that person’s own connection', async () => {
    const jobs = taskServer();
    const taskFixture = await startOAuthFixture({ mcpServer: jobs.mcpServer });
    const servers = [parseServer('servers.json', 'jobs', { url: taskFixture.url, auth: { type: 'oauth', perUser: true } }, process.env)];
    const script = (request: LlmRequest) => toolResultText(request) ?? { toolCall: { tool: 'long_job', arguments: { seconds: 30 } } };
    const first = await startEngineHarness({ script, servers, storeUrl: `sqlite://${storeFile}`, oauth: { publicUrl, secrets } });
    harnesses.push(first);
    current = first.pool;
    try {
      const link = await first.engine.connectAccount(ALICE, 'jobs');
      if (link.kind !== 'link') throw new Error(`expected a link, got ${link.kind}`);
      expect((await follow(link.link.url, 'alice')).status).toBe(200);
      const reply = new TaskReply();
      const done = first.engine.handle({ threadKey: 'test:jobs', asker: ALICE, text: 'run the job' }, reply);
      await reply.taskStarted();
      const left = jobs.tasks().at(-1);
      // The first process is gone without cleaning up; the next one starts over the same store and servers.
      const second = await startEngineHarness({ script, servers, storeUrl: `sqlite://${storeFile}`, oauth: { publicUrl, secrets } });
      harnesses.push(second);
      taskFixture.mcpRequests.clear();
      const told: string[] = [];
      await second.engine.cancelLeftoverTasks(async (threadKey, text) => {
        told.push(`${threadKey}: ${text}`);
        return true;
      });
      expect(told).toEqual(['test:jobs: ⏹️ I restarted while `long_job` on `jobs` was running as a task, so I cancelled it. Ask again if you still want it.']);
      expect(jobs.tasks().find((task) => task.taskId === left?.taskId)?.status).toBe('cancelled');
      expect(new Set(taskFixture.mcpRequests.items.map((request) => request.account))).toEqual(new Set(['alice']));
      await done;
    } finally {
      jobs.stop();
      for (const harness of harnesses.splice(0)) await harness.close();
      await taskFixture.close();
    }
  }, 60_000);
});
