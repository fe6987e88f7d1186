import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/config/index.js';

describe('settings for the console at a terminal', () => {
  let dir: string;
  let base: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-settings-'));
    const file = path.join(dir, 'servers.json');
    await writeFile(file, JSON.stringify({ mcpServers: {} }));
    base = { LLM_MODEL: 'm', MCP_CONFIG: file };
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('logs at warn at a terminal unless LOG_LEVEL says otherwise', async () => {
    const atTerminal = await loadSettings({ ...base, LOG_LEVEL: '' }, { terminal: true });
    expect(atTerminal).toMatchObject({ consoleTerminal: true, logLevel: 'warn' });
    expect((await loadSettings({ ...base, LOG_LEVEL: 'debug' }, { terminal: true })).logLevel).toBe('debug');
  });

  it('keeps info and JSON logs when piped or deployed', async () => {
    expect(await loadSettings(base)).toMatchObject({ consoleTerminal: false, logLevel: 'info' });
    expect(await loadSettings(base, { terminal: false })).toMatchObject({ consoleTerminal: false, logLevel: 'info' });
  });

  it('is no console terminal when a platform token is set, even started from a terminal', async () => {
    const discord = await loadSettings({ ...base, DISCORD_TOKEN: 'token' }, { terminal: true });
    expect(discord).toMatchObject({ consoleTerminal: false, logLevel: 'info' });
  });
});
