import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@keyv/redis';
import type KeyvSqlite from '@keyv/sqlite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationRequests, OAuthCredentials, StoredOAuthProvider } from '../../src/mcp/auth/index.js';
import type { Logger } from '../../src/logging/logger.js';
import { isSealed, openStore, SecretBox, type SealedSecret, type Store } from '../../src/store/index.js';
import { capturingLogger, testLogger, type LogLine } from '../helpers/logger.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';

const SERVER = 'tracker';
const tokens = { access_token: 'at-4f1c-clear-access', refresh_token: 'rt-9b2e-clear-refresh', token_type: 'bearer', expires_in: 3600 };
const registration = { client_id: 'client-77', client_secret: 'cs-5d3a-clear-secret', redirect_uris: ['http://127.0.0.1/oauth/callback'] };
const SECRETS = [tokens.access_token, tokens.refresh_token, registration.client_secret];

interface Backend {
  open(): Promise<Store>;
  /** Every value stored under the store's namespace, as the backend holds it (the SQLite rows, the Redis strings). */
  raw(store: Store): Promise<string>;
  forget(store: Store): Promise<void>;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oauth-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sqlite: Backend = {
  open: () => openStore({ url: `sqlite://${path.join(dir, `${randomUUID()}.sqlite`)}`, historyTtlMs: 60_000 }, testLogger()),
  raw: async (store) => {
    const rows = (await (store.kv.store as KeyvSqlite).query('SELECT key, value FROM keyv')) as { key: string; value: string }[];
    return rows.map((row) => `${row.key}=${row.value}`).join('\n');
  },
  forget: async () => undefined,
};

const redis: Backend = {
  open: () => openStore({ url: REDIS_URL, historyTtlMs: 60_000, namespace: `test-credentials-${randomUUID()}` }, testLogger()),
  raw: async (store) => {
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const lines: string[] = [];
      for await (const keys of client.scanIterator({ MATCH: `${store.kv.namespace}:*` })) for (const key of keys) lines.push(`${key}=${await client.get(key)}`);
      return lines.join('\n');
    } finally {
      client.destroy();
    }
  },
  forget: (store) => forgetNamespace(store, REDIS_URL),
};

function credentialsTests(backend: Backend) {
  let store: Store;
  let log: { logger: Logger; logs: { items: LogLine[] }; rawLogs: string[] };

  afterEach(async () => {
    if (!store) return;
    await backend.forget(store);
    await store.close();
  });

  async function open(): Promise<Store> {
    store = await backend.open();
    log = capturingLogger();
    return store;
  }

  /** The bot's OAuth hooks for one server, as a freshly started process builds them. */
  function provider(box: SecretBox | undefined): StoredOAuthProvider {
    const credentials = new OAuthCredentials(store.kv, box, log.logger);
    return new StoredOAuthProvider(SERVER, { type: 'oauth' }, { credentials, redirectUrl: 'http://127.0.0.1/oauth/callback', requests: new AuthorizationRequests(), showAuthorizationLink: () => undefined }, log.logger);
  }

  async function saveBoth(box: SecretBox | undefined): Promise<void> {
    const first = provider(box);
    await first.saveTokens(tokens);
    await first.saveClientInformation(registration);
  }

  const stored = async (field: 'tokens' | 'client') => store.kv.get(`oauth:${SERVER}:${field}`) as Promise<unknown>;
  const errorLines = () => log.logs.items.filter((line) => line.level >= 50);

  it('keeps tokens and a client registration across a restart, with no token or client secret in the stored bytes', async () => {
    await open();
    const box = new SecretBox(randomBytes(32));
    await saveBoth(box);

    const raw = await backend.raw(store);
    expect(raw).toContain(`oauth:${SERVER}:tokens`);
    for (const secret of SECRETS) expect(raw).not.toContain(secret);
    expect(isSealed(await stored('tokens'))).toBe(true);
    expect(isSealed(await stored('client'))).toBe(true);

    const restarted = provider(box);
    expect(await restarted.tokens()).toMatchObject(tokens);
    expect(await restarted.clientInformation()).toEqual(registration);
    expect(log.rawLogs.join('')).not.toMatch(/clear-(access|refresh|secret)/);
  });

  it('refuses a stored value changed after it was sealed (its tag), counts it as absent and reports it once', async () => {
    await open();
    const box = new SecretBox(randomBytes(32));
    await saveBoth(box);
    const sealed = (await stored('tokens')) as SealedSecret;
    const data = Buffer.from(sealed.data, 'base64');
    data[5] = data[5]! ^ 0xff;
    await store.kv.set(`oauth:${SERVER}:tokens`, { ...sealed, data: data.toString('base64') });

    const restarted = provider(box);
    expect(await restarted.tokens()).toBeUndefined();
    expect(await provider(box).clientInformation()).toEqual(registration);
    const [line, ...more] = errorLines();
    expect(more).toEqual([]);
    expect(line).toMatchObject({ server: SERVER, credential: 'tokens' });
    expect(line!.msg).toMatch(/^stored OAuth tokens of server "tracker" cannot be decrypted \(its authentication tag does not match.*\); they count as absent and the server asks for authorization again/);
  });

  it('re-encrypts a value of TOKEN_ENCRYPTION_KEY_PREVIOUS with the new key when it is read', async () => {
    await open();
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    await saveBoth(new SecretBox(oldKey));
    const before = (await stored('tokens')) as SealedSecret;

    expect(await provider(new SecretBox(newKey, oldKey)).tokens()).toMatchObject(tokens);
    const after = (await stored('tokens')) as SealedSecret;
    expect(after.kid).not.toBe(before.kid);
    expect(after.kid).toBe(new SecretBox(newKey).seal(null, 'x').kid);
    expect(log.logs.items.map((line) => line.msg)).toContain('stored OAuth credentials re-encrypted with the new TOKEN_ENCRYPTION_KEY');
    // Once re-encrypted, the old key can go.
    expect(await provider(new SecretBox(newKey)).tokens()).toMatchObject(tokens);
    for (const secret of SECRETS) expect(await backend.raw(store)).not.toContain(secret);
  });

  it('encrypts values stored in clear (before there was a key) in place on the first start with a key', async () => {
    await open();
    await saveBoth(undefined);
    const clear = await backend.raw(store);
    for (const secret of SECRETS) expect(clear).toContain(secret);

    // The pool's start-up pass, before any server reads its credentials.
    const box = new SecretBox(randomBytes(32));
    await new OAuthCredentials(store.kv, box, log.logger).sealStored([SERVER]);
    const sealed = await backend.raw(store);
    for (const secret of SECRETS) expect(sealed).not.toContain(secret);
    expect(log.logs.items.filter((line) => line.msg === 'stored OAuth credentials encrypted with TOKEN_ENCRYPTION_KEY').map((line) => (line as LogLine & { credential: string }).credential)).toEqual(['tokens', 'client']);

    const restarted = provider(box);
    expect(await restarted.tokens()).toMatchObject(tokens);
    expect(await restarted.clientInformation()).toEqual(registration);
  });

  it('counts values sealed with a key it does not hold as absent, with one line naming the server and no secret', async () => {
    await open();
    const [key, wrong, wrongPrevious] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    await saveBoth(new SecretBox(key));

    const restarted = provider(new SecretBox(wrong, wrongPrevious));
    expect(await restarted.tokens()).toBeUndefined();
    expect(await restarted.clientInformation()).toBeUndefined();
    expect(await restarted.tokens()).toBeUndefined();
    expect(errorLines().map((line) => line.msg)).toEqual([
      'stored OAuth tokens of server "tracker" cannot be decrypted (it was sealed with a key that is neither the current nor the previous one); they count as absent and the server asks for authorization again. Check TOKEN_ENCRYPTION_KEY and TOKEN_ENCRYPTION_KEY_PREVIOUS',
      'stored OAuth client registration of server "tracker" cannot be decrypted (it was sealed with a key that is neither the current nor the previous one); they count as absent and the bot registers with the server again. Check TOKEN_ENCRYPTION_KEY and TOKEN_ENCRYPTION_KEY_PREVIOUS',
    ]);
    const logged = log.rawLogs.join('');
    for (const secret of [...SECRETS, ...[key, wrong, wrongPrevious].flatMap((each) => [each.toString('base64'), each.toString('hex')])]) expect(logged).not.toContain(secret);

    // The person authorizes again: the new tokens replace the unreadable ones.
    await restarted.saveTokens({ ...tokens, access_token: 'at-new' });
    expect(await provider(new SecretBox(wrong)).tokens()).toMatchObject({ access_token: 'at-new' });
  });

  it('counts encrypted values as absent when TOKEN_ENCRYPTION_KEY is no longer set', async () => {
    await open();
    await saveBoth(new SecretBox(randomBytes(32)));
    expect(await provider(undefined).tokens()).toBeUndefined();
    expect(errorLines().map((line) => line.msg)).toEqual([expect.stringMatching(/^stored OAuth tokens of server "tracker" cannot be decrypted \(they are encrypted and TOKEN_ENCRYPTION_KEY is not set\)/)]);
  });
}

describe('OAuth credentials at rest: sqlite', () => credentialsTests(sqlite));
describe.runIf(redisAvailable)('OAuth credentials at rest: redis', () => credentialsTests(redis));
