import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, requireTokenEncryption } from '../../src/config/index.js';
import { configError } from '../helpers/config-error.js';

let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'token-key-'));
  await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: {} }));
  env = { LLM_MODEL: 'm', MCP_CONFIG: path.join(dir, 'servers.json') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TOKEN_ENCRYPTION_KEY', () => {
  const key = randomBytes(32);

  it('is absent unless set, and an empty value means not set', async () => {
    expect((await loadSettings(env)).tokenEncryption).toBeUndefined();
    expect((await loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: '' })).tokenEncryption).toBeUndefined();
  });

  it('takes 32 bytes as base64 (standard or URL-safe) or as 64 hex digits', async () => {
    for (const text of [key.toString('base64'), key.toString('base64url'), key.toString('hex'), key.toString('hex').toUpperCase()]) {
      const settings = await loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: text });
      expect(settings.tokenEncryption?.key.equals(key)).toBe(true);
      expect(settings.tokenEncryption?.previousKey).toBeUndefined();
    }
  });

  it('refuses a key of the wrong length or format with a ConfigError naming the variable and how to make one, never quoting it', async () => {
    for (const text of [randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), key.toString('hex').slice(1), 'correct horse battery staple']) {
      const message = await configError(loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: text }));
      expect(message).toMatch(/^environment variable TOKEN_ENCRYPTION_KEY: must be 32 random bytes/);
      expect(message).toContain('openssl rand -base64 32');
      expect(message).not.toContain(text);
    }
    expect(await configError(loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: key.toString('hex'), TOKEN_ENCRYPTION_KEY_PREVIOUS: 'short' }))).toMatch(/^environment variable TOKEN_ENCRYPTION_KEY_PREVIOUS: must be 32 random bytes/);
  });

  it('reads TOKEN_ENCRYPTION_KEY_PREVIOUS beside it, and refuses the previous key alone', async () => {
    const previous = randomBytes(32);
    const settings = await loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: key.toString('base64'), TOKEN_ENCRYPTION_KEY_PREVIOUS: previous.toString('hex') });
    expect(settings.tokenEncryption?.previousKey?.equals(previous)).toBe(true);
    expect(await configError(loadSettings({ ...env, TOKEN_ENCRYPTION_KEY_PREVIOUS: previous.toString('base64') }))).toMatch(/TOKEN_ENCRYPTION_KEY_PREVIOUS is set but TOKEN_ENCRYPTION_KEY is not/);
  });

  it('can be required by a feature that must not keep tokens in clear', async () => {
    expect(() => requireTokenEncryption({ tokenEncryption: undefined }, 'the per-person server "tracker"')).toThrow(/^the per-person server "tracker" .*set TOKEN_ENCRYPTION_KEY; make one with `openssl rand -base64 32`/);
    const settings = await loadSettings({ ...env, TOKEN_ENCRYPTION_KEY: key.toString('base64') });
    expect(requireTokenEncryption(settings, 'x').key.equals(key)).toBe(true);
  });

  it('refuses to start with a per-person server and no key, in one line naming the file, the server and how to make a key; a disabled one or a key lets it start', async () => {
    const file = path.join(dir, 'personal.json');
    const tracker = { url: 'https://tracker.example/mcp', auth: { type: 'oauth', perUser: true } };
    await writeFile(file, JSON.stringify({ mcpServers: { shared: { url: 'https://shared.example/mcp', auth: { type: 'oauth' } }, tracker } }));
    const message = await configError(loadSettings({ ...env, MCP_CONFIG: file }));
    expect(message).toBe(`${file}: server "tracker" ("auth": {"perUser": true}) keeps people's OAuth tokens, which are stored only encrypted: set TOKEN_ENCRYPTION_KEY; make one with \`openssl rand -base64 32\` or \`node -e "console.log(crypto.randomBytes(32).toString('base64'))"\``);
    expect(message.split('\n')).toHaveLength(1);
    const settings = await loadSettings({ ...env, MCP_CONFIG: file, TOKEN_ENCRYPTION_KEY: key.toString('base64') });
    expect(settings.mcp.servers.map((server) => server.name)).toEqual(['shared', 'tracker']);
    await writeFile(file, JSON.stringify({ mcpServers: { tracker: { ...tracker, disabled: true } } }));
    expect((await loadSettings({ ...env, MCP_CONFIG: file })).tokenEncryption).toBeUndefined();
  });
});
