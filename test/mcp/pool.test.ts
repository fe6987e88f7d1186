import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig } from '../fixtures/index.js';
import { isAlive, startPool, type PoolUnderTest } from './pool-helpers.js';

describe('MCP pool with the fixture server', () => {
  let under: PoolUnderTest;

  beforeAll(async () => {
    under = await startPool([fixtureServerConfig('fixture', { timeoutMs: 500 })]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('keeps the catalog in memory with names, descriptions and schemas', () => {
    const names = under.pool.tools().map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'add', 'slow', 'fail', 'image', 'crash', 'add_tool']));
    const add = under.pool.tools().find((tool) => tool.name === 'add');
    expect(add).toMatchObject({ server: 'fixture', toolName: 'add', description: 'Adds two numbers.' });
    expect(add?.inputSchema.required).toEqual(['a', 'b']);
    expect(under.pool.serverStates()).toEqual({ fixture: 'ready' });
  });

  it('calls a tool and returns its text', async () => {
    expect(await under.pool.callTool('add', { a: 2, b: 40 })).toEqual({ ok: true, server: 'fixture', tool: 'add', text: '42', images: [] });
  });

  it('returns a tool error as a failed outcome, not an exception', async () => {
    const outcome = await under.pool.callTool('fail', { message: 'no such file' });
    expect(outcome).toMatchObject({ ok: false, text: 'no such file' });
  });

  it('returns images and describes them for the model', async () => {
    const outcome = await under.pool.callTool('image', {});
    expect(outcome.ok).toBe(true);
    expect(outcome.images).toEqual([{ data: expect.any(String), mimeType: 'image/png' }]);
    expect(outcome.text).toMatch(/a tiny image\n\[image\/png image, \d+ bytes/);
  });

  it('times a slow call out with the server named', async () => {
    const outcome = await under.pool.callTool('slow', { ms: 5_000 });
    expect(outcome).toMatchObject({ ok: false, text: 'tool "slow" on server "fixture" timed out after 0.5 s' });
    // The server still answers afterwards.
    expect((await under.pool.callTool('echo', { text: 'still here' })).text).toBe('still here');
  });

  it('answers an unknown tool with a clear failure', async () => {
    expect(await under.pool.callTool('nope', {})).toMatchObject({ ok: false, text: 'there is no tool named "nope"' });
  });

  it('refreshes the catalog when the server says its tools changed', async () => {
    const changed = new Promise<void>((resolve) => {
      const stop = under.pool.onToolsChanged(() => {
        if (under.pool.tools().some((tool) => tool.name === 'shout')) {
          stop();
          resolve();
        }
      });
    });
    await under.pool.callTool('add_tool', { name: 'shout' });
    await changed;
    expect((await under.pool.callTool('shout', { text: 'hey' })).text).toBe('shout: hey');
  });

  it('restarts a server that dies mid-call; calls fail fast meanwhile and work again after', async () => {
    const pidBefore = under.pool.serverPids().fixture;
    under.events.clear();
    const crashed = await under.pool.callTool('crash', {});
    expect(crashed).toMatchObject({ ok: false, text: 'server "fixture" stopped while running "crash"; it is being restarted' });
    await under.events.waitFor((event) => event.type === 'restarting', { what: 'restarting' });
    // A restart spawns a new process (hundreds of ms), so the server is still down here.
    expect(under.pool.serverStates().fixture).toBe('restarting');
    expect(await under.pool.callTool('echo', { text: 'x' })).toMatchObject({ ok: false, text: 'server "fixture" is restarting, try again in a few seconds' });
    await under.events.waitFor((event) => event.type === 'restarted', { what: 'restarted', timeoutMs: 20_000 });
    expect((await under.pool.callTool('echo', { text: 'back' })).text).toBe('back');
    expect(under.pool.serverPids().fixture).not.toBe(pidBefore);
    expect(isAlive(pidBefore)).toBe(false);
  });

  it('restarts a server whose process is killed from outside', async () => {
    under.events.clear();
    process.kill(under.pool.serverPids().fixture!, 'SIGKILL');
    await under.events.waitFor((event) => event.type === 'restarted', { what: 'restarted', timeoutMs: 20_000 });
    expect((await under.pool.callTool('add', { a: 1, b: 1 })).text).toBe('2');
  });
});

describe('MCP pool with several servers', () => {
  it('names colliding tools by server and keeps unique ones as they are', async () => {
    const { pool } = await startPool([fixtureServerConfig('alpha'), fixtureServerConfig('beta', { allowTools: ['echo', 'add'] })]);
    try {
      const names = pool.tools().map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['alpha_echo', 'beta_echo', 'alpha_add', 'beta_add', 'slow', 'image']));
      expect(names.every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name))).toBe(true);
      expect((await pool.callTool('beta_echo', { text: 'from beta' })).server).toBe('beta');
    } finally {
      await pool.close();
    }
  });

  it('filters tools with allowTools and denyTools', async () => {
    const { pool } = await startPool([fixtureServerConfig('only', { allowTools: ['echo'] }), fixtureServerConfig('minus', { denyTools: ['crash', 'echo'] })]);
    try {
      expect(pool.tools().filter((tool) => tool.server === 'only').map((tool) => tool.name)).toEqual(['echo']);
      const minus = pool.tools().filter((tool) => tool.server === 'minus').map((tool) => tool.toolName);
      expect(minus).not.toContain('crash');
      expect(minus).not.toContain('echo');
      expect(minus).toContain('add');
    } finally {
      await pool.close();
    }
  });

  it('skips servers that fail to start and serves the rest', async () => {
    const { pool } = await startPool([
      fixtureServerConfig('exits', { env: { FIXTURE_EXIT_AT_START: '1' } }),
      fixtureServerConfig('missing', { command: 'no-such-mcp-server-command' }),
      fixtureServerConfig('slow-start', { env: { FIXTURE_STARTUP_DELAY_MS: '10000' } }),
      fixtureServerConfig('good'),
    ], { startupTimeoutMs: 3_000 });
    try {
      expect(pool.serverStates()).toEqual({ exits: 'failed', missing: 'failed', 'slow-start': 'failed', good: 'ready' });
      expect(pool.tools().every((tool) => tool.server === 'good')).toBe(true);
      expect((await pool.callTool('echo', { text: 'ok' })).text).toBe('ok');
      expect(isAlive(pool.serverPids()['slow-start'])).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it('starts with no servers at all', async () => {
    const { pool } = await startPool([]);
    expect(pool.tools()).toEqual([]);
    await pool.close();
  });

  it('skips disabled servers', async () => {
    const { pool } = await startPool([fixtureServerConfig('off', { disabled: true })]);
    expect(pool.serverStates()).toEqual({});
    await pool.close();
  });

  it('leaves no child process behind on close', async () => {
    const { pool } = await startPool([fixtureServerConfig('one'), fixtureServerConfig('two')]);
    const pids = Object.values(pool.serverPids());
    expect(pids.every(isAlive)).toBe(true);
    await pool.close();
    expect(pids.some(isAlive)).toBe(false);
  });
});
