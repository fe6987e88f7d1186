import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type KeyvSqlite from '@keyv/sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteServerConfig } from '../../src/config/index.js';
import { serveRoutes } from '../../src/http/index.js';
import { McpPool, oauthCallbackRoute, type ServerEvent } from '../../src/mcp/index.js';
import { openStore, SecretBox } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { remoteServerConfig } from '../fixtures/index.js';
import { startOAuthFixture, type OAuthFixture } from '../fixtures/oauth-fixture.js';
import { capturingLogger, testLogger } from '../helpers/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import { Recorder } from '../helpers/recorder.js';

const logger = testLogger();

/** Every row of a SQLite store as it is on disk. */
async function sqliteRows(store: Store): Promise<string> {
  const rows = (await (store.kv.store as KeyvSqlite).query('SELECT key, value FROM keyv')) as { key: string; value: string }[];
  return rows.map((row) => `${row.key}=${row.value}`).join('\n');
}

/** The bot's store as it is today (no TOKEN_ENCRYPTION_KEY), and with a key. */
const atRest = [
  { stored: 'in clear', secrets: undefined },
  { stored: 'encrypted with TOKEN_ENCRYPTION_KEY', secrets: new SecretBox(randomBytes(32)) },
];

describe('OAuth for a remote MCP server (the SDK’s authorization server handlers, the bot’s /oauth/callback)', () => {
  let dir: string;
  let callbackServer: Server;
  let callbackBase: string;
  /** The pool the callback route hands codes to; tests swap it when they "restart". */
  let current: McpPool | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'oauth-'));
    callbackServer = await serveRoutes([oauthCallbackRoute({ completeAuthorization: async (state, code) => current?.completeAuthorization(state, code) }, logger)], 0, logger);
    callbackBase = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    callbackServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const secure = (fixture: OAuthFixture): RemoteServerConfig => remoteServerConfig('secure', fixture.url, { auth: { type: 'oauth' } });

  async function fixture(options: { accessTokenSeconds?: number } = {}): Promise<OAuthFixture> {
    const started = await startOAuthFixture(options);
    cleanups.push(() => started.close());
    return started;
  }

  async function sqliteStore(name: string): Promise<Store> {
    const store = await openStore({ url: `sqlite://${path.join(dir, name)}`, historyTtlMs: 60_000 }, logger);
    cleanups.push(() => store.close());
    return store;
  }

  async function startPool(server: RemoteServerConfig, store: Store, secrets?: SecretBox, log: Logger = logger) {
    const links = new Recorder<URL>();
    const events = new Recorder<ServerEvent>();
    const pool = await McpPool.start({ configPath: 'test', servers: [server], startupTimeoutMs: 10_000, defaultToolTimeoutMs: 10_000 }, log, {
      oauth: { kv: store.kv, secrets, publicUrl: callbackBase, showAuthorizationLink: (_server, url) => links.push(url) },
    });
    pool.onServerEvent((event) => events.push(event));
    current = pool;
    cleanups.push(() => pool.close());
    return { pool, links, events };
  }

  /** What a person's browser does: opens the link, is sent back to the bot's callback, and reads the page. */
  async function followAsAPerson(link: URL): Promise<{ status: number; text: string }> {
    const approved = await fetch(link, { redirect: 'manual' });
    const response = await fetch(approved.headers.get('location')!);
    return { status: response.status, text: await response.text() };
  }

  for (const { stored, secrets } of atRest) {
    it(`waits for one person’s authorization without holding up start-up, then keeps the tokens across a restart (stored ${stored})`, async () => {
      const server = await fixture();
      const store = await sqliteStore(`restart-${secrets ? 'sealed' : 'clear'}.sqlite`);
      const first = await startPool(secure(server), store, secrets);
      expect(first.pool.serverStates()).toEqual({ secure: 'needs-authorization' });
      expect(first.pool.tools()).toEqual([]);

      const link = await first.links.waitFor(() => true);
      expect(link.searchParams.get('redirect_uri')).toBe(`${callbackBase}/oauth/callback`);
      expect(link.searchParams.get('code_challenge_method')).toBe('S256');
      const page = await followAsAPerson(link);
      expect(page).toEqual({ status: 200, text: 'Done: the bot is authorized for "secure" and connects to it now. You can close this tab.\n' });
      await first.events.waitFor((event) => event.type === 'ready');
      expect((await first.pool.callTool('echo', { text: 'behind oauth' })).text).toBe('behind oauth');
      await first.pool.close();

      // A new process on the same store: no link, no person, straight to work.
      const second = await startPool(secure(server), store, secrets);
      expect(second.pool.serverStates()).toEqual({ secure: 'ready' });
      expect((await second.pool.callTool('echo', { text: 'after a restart' })).text).toBe('after a restart');
      expect(second.links.items).toEqual([]);
      expect(server.authorizations.items).toHaveLength(1);

      const [grant] = server.grants.items;
      const [registration] = server.registrations.items;
      expect(registration?.clientSecret).toBeDefined();
      const rows = await sqliteRows(store);
      for (const secret of [grant!.accessToken, grant!.refreshToken, registration!.clientSecret!]) expect(rows.includes(secret)).toBe(secrets === undefined);
    });

    it(`refreshes an access token before it runs out (stored ${stored})`, async () => {
      const server = await fixture({ accessTokenSeconds: 61 });
      const store = await sqliteStore(`refresh-${secrets ? 'sealed' : 'clear'}.sqlite`);
      const { pool, links, events } = await startPool(secure(server), store, secrets);
      await followAsAPerson(await links.waitFor(() => true));
      await events.waitFor((event) => event.type === 'ready');
      const refreshed = await server.grants.waitFor((grant) => grant.grantType === 'refresh_token', { timeoutMs: 5_000, what: 'a refresh grant' });
      expect((await pool.callTool('echo', { text: 'fresh token' })).text).toBe('fresh token');
      expect(server.grants.items.map((grant) => grant.grantType)).toEqual(['authorization_code', 'refresh_token']);
      expect(refreshed.accessToken).not.toBe(server.grants.items[0]?.accessToken);
      if (secrets) expect(await sqliteRows(store)).not.toContain(refreshed.refreshToken);
    });
  }

  it('asks for authorization again when the stored credentials were encrypted with another key, saying so once per credential', async () => {
    const server = await fixture();
    const store = await sqliteStore('wrong-key.sqlite');
    const first = await startPool(secure(server), store, new SecretBox(randomBytes(32)));
    await followAsAPerson(await first.links.waitFor(() => true));
    await first.events.waitFor((event) => event.type === 'ready');
    await first.pool.close();

    const { logger: capturing, logs, rawLogs } = capturingLogger();
    const second = await startPool(secure(server), store, new SecretBox(randomBytes(32)), capturing);
    expect(second.pool.serverStates()).toEqual({ secure: 'needs-authorization' });
    await followAsAPerson(await second.links.waitFor(() => true));
    await second.events.waitFor((event) => event.type === 'ready');
    expect((await second.pool.callTool('echo', { text: 'authorized again' })).text).toBe('authorized again');

    expect(logs.items.filter((line) => line.msg.startsWith('stored OAuth')).map((line) => line.msg)).toEqual([
      expect.stringMatching(/^stored OAuth tokens of server "secure" cannot be decrypted \(it was sealed with a key that is neither/),
      expect.stringMatching(/^stored OAuth client registration of server "secure" cannot be decrypted .* the bot registers with the server again/),
    ]);
    const [grant] = server.grants.items;
    for (const secret of [grant!.accessToken, grant!.refreshToken, server.registrations.items[0]!.clientSecret!]) expect(rawLogs.join('')).not.toContain(secret);
    expect(server.registrations.items).toHaveLength(2);
  });

  it('says so when a callback matches no waiting authorization', async () => {
    current = undefined;
    const response = await fetch(`${callbackBase}/oauth/callback?code=abc&state=nobody-waits`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^This link is not valid: it was already used, it expired, or it was not made by this bot/);
    // The authorization server's own error text is not echoed: in a mix-up attack it is the attacker's.
    const refused = await fetch(`${callbackBase}/oauth/callback?error=access_denied&error_description=%3Cscript%3E&state=x`);
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).toMatch(/^The authorization server did not authorize the bot/);
    expect(text).not.toContain('script');
  });
});
