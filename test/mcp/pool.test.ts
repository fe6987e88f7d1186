import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig, TINY_PNG_BASE64 } from '../fixtures/index.js';
import { DEBUG, isAlive, startPool, type PoolUnderTest } from './pool-helpers.js';

const SECRET_ENV_VALUE = 'env-value-that-must-stay-out-of-logs';

describe('MCP pool with the fixture server', () => {
  let under: PoolUnderTest;

  beforeAll(async () => {
    under = await startPool([fixtureServerConfig('fixture', { timeoutMs: 1_000, env: { FIXTURE_SECRET: SECRET_ENV_VALUE } })]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('keeps the catalog in memory with names, descriptions and schemas', () => {
    const names = under.pool.tools().map((tool) => tool.name);
    expect(names).toEqual(['echo', 'add', 'slow', 'fail', 'image', 'crash', 'add_tool', 'ask', 'visit', 'sample', 'steps', 'trace_context', 'pid']);
    const add = under.pool.tools().find((tool) => tool.name === 'add');
    expect(add).toMatchObject({ server: 'fixture', toolName: 'add', description: 'Adds two numbers.' });
    expect(add?.inputSchema.required).toEqual(['a', 'b']);
    expect(under.pool.serverStates()).toEqual({ fixture: 'ready' });
  });

  it('calls a tool and returns its text', async () => {
    expect(await under.pool.callTool('add', { a: 2, b: 40 })).toEqual({ ok: true, server: 'fixture', tool: 'add', text: '42', images: [] });
  });

  it('returns a tool error as a failed outcome naming the tool and the server', async () => {
    expect(await under.pool.callTool('fail', { message: 'no such file' })).toMatchObject({
      ok: false,
      server: 'fixture',
      tool: 'fail',
      text: 'tool "fail" on server "fixture" failed: no such file',
    });
  });

  it('returns images and describes them for the model', async () => {
    const outcome = await under.pool.callTool('image', {});
    expect(outcome.ok).toBe(true);
    expect(outcome.images).toEqual([{ data: TINY_PNG_BASE64, mimeType: 'image/png' }]);
    expect(outcome.text).toBe('a tiny image\n[image/png image, 70 bytes; it will be shown to the user]');
  });

  it("times a slow call out after the server's own time-out, and the server still answers afterwards", async () => {
    const outcome = await under.pool.callTool('slow', { ms: 5_000 });
    expect(outcome).toMatchObject({ ok: false, text: 'tool "slow" on server "fixture" timed out after 1 s' });
    expect((await under.pool.callTool('echo', { text: 'still here' })).text).toBe('still here');
  });

  it('reports a call cancelled by its signal', async () => {
    const controller = new AbortController();
    const call = under.pool.callTool('slow', { ms: 5_000 }, { signal: controller.signal });
    controller.abort();
    expect(await call).toMatchObject({ ok: false, text: 'tool "slow" on server "fixture" was cancelled' });
  });

  it('answers an unknown tool with a clear failure', async () => {
    expect(await under.pool.callTool('nope', {})).toMatchObject({ ok: false, text: 'there is no tool named "nope"' });
  });

  it('returns a protocol error (arguments the server rejects) as a failed outcome', async () => {
    const outcome = await under.pool.callTool('add', { a: 'two' });
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toMatch(/^tool "add" on server "fixture" failed: /);
  });

  it("logs the server's stderr at debug level, line by line, with the server named", async () => {
    await under.logs.waitFor((line) => line.level === DEBUG && line.server === 'fixture' && line.stderr === 'fixture: ready', { what: 'the stderr line' });
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
    expect((await under.pool.callTool('add_tool', { name: 'shout' })).text).toBe('added shout');
    await changed;
    expect((await under.pool.callTool('shout', { text: 'hey' })).text).toBe('shout: hey');
  });

  it('restarts a server that dies mid-call; calls fail fast meanwhile; its tools come back', async () => {
    const pidBefore = under.pool.serverPids().fixture;
    under.events.clear();
    const catalogChanged = new Promise<void>((resolve) => {
      const stop = under.pool.onToolsChanged(() => {
        stop();
        resolve();
      });
    });

    expect(await under.pool.callTool('crash', {})).toMatchObject({ ok: false, text: 'server "fixture" stopped while running "crash"; it is being restarted' });
    expect(under.pool.serverStates().fixture).toBe('restarting');
    expect(await under.pool.callTool('echo', { text: 'x' })).toMatchObject({ ok: false, text: 'server "fixture" is restarting, try again in a few seconds' });

    expect(await under.events.waitFor((event) => event.type === 'restarted', { what: 'restarted', timeoutMs: 20_000 })).toEqual({ server: 'fixture', type: 'restarted', attempt: 1 });
    expect(under.pool.serverStates().fixture).toBe('ready');
    expect((await under.pool.callTool('echo', { text: 'back' })).text).toBe('back');
    expect(under.pool.serverPids().fixture).not.toBe(pidBefore);
    expect(isAlive(pidBefore)).toBe(false);
    // The new process never had the tool added at run time, and the catalog says so.
    await catalogChanged;
    expect(under.pool.tools().map((tool) => tool.name)).not.toContain('shout');
    expect(under.logs.filter((line) => line.msg === 'server restarted' && line.server === 'fixture' && line.attempt === 1)).toHaveLength(1);
  });

  it('answers a call in flight when the process is killed from outside, then restarts it', async () => {
    under.events.clear();
    const inFlight = under.pool.callTool('slow', { ms: 5_000 });
    process.kill(under.pool.serverPids().fixture!, 'SIGKILL');
    expect(await inFlight).toMatchObject({ ok: false, text: 'server "fixture" stopped while running "slow"; it is being restarted' });
    await under.events.waitFor((event) => event.type === 'restarted', { what: 'restarted', timeoutMs: 20_000 });
    expect((await under.pool.callTool('add', { a: 1, b: 1 })).text).toBe('2');
  });

  it('never writes env values to the logs', () => {
    expect(under.logs.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(under.logs.items)).not.toContain(SECRET_ENV_VALUE);
  });
});
