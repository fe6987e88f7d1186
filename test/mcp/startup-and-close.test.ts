import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig } from '../fixtures/index.js';
import { childPids, ERROR, isAlive, startPool, type PoolUnderTest } from './pool-helpers.js';

describe('MCP pool with several servers, some of them broken', () => {
  let under: PoolUnderTest;
  let childrenBefore: number[];

  beforeAll(async () => {
    childrenBefore = childPids();
    under = await startPool([
      fixtureServerConfig('alpha'),
      fixtureServerConfig('beta', { allowTools: ['echo', 'add'] }),
      fixtureServerConfig('gamma', { denyTools: ['crash', 'echo'] }),
      fixtureServerConfig('exits', { env: { FIXTURE_EXIT_AT_START: '1' } }),
      fixtureServerConfig('missing', { command: 'no-such-mcp-server' }),
    ]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('starts the servers in parallel: every one is under way before the first is ready', () => {
    const lines = under.logs.items;
    const firstReady = lines.findIndex((line) => line.msg === 'server ready');
    const connecting = lines.flatMap((line, index) => (line.msg === 'connecting' ? [index] : []));
    expect(connecting).toHaveLength(5);
    expect(firstReady).toBeGreaterThan(Math.max(...connecting));
  });

  it('skips a server that exits at start or whose command is missing, logging each once with its reason', () => {
    expect(under.pool.serverStates()).toEqual({ alpha: 'ready', beta: 'ready', gamma: 'ready', exits: 'failed', missing: 'failed' });
    const failures = under.logs.filter((line) => line.level === ERROR);
    expect(failures.map((line) => [line.server, line.reason])).toEqual(
      expect.arrayContaining([
        ['missing', 'command `no-such-mcp-server` not found on PATH'],
        ['exits', 'the process exited during start-up; its last lines on stderr: "fixture: exiting at start as asked"'],
      ]),
    );
    expect(failures).toHaveLength(2);
    expect(under.pool.tools().some((tool) => tool.server === 'exits' || tool.server === 'missing')).toBe(false);
  });

  it('names tools that several servers share <server>_<tool> and keeps the others as they are', () => {
    const names = under.pool.tools().map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['alpha_echo', 'beta_echo', 'alpha_add', 'beta_add', 'gamma_add', 'alpha_slow', 'gamma_slow', 'crash']));
    expect(names).not.toContain('echo');
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name))).toBe(true);
  });

  it('routes each namespaced call to its own server', async () => {
    expect(await under.pool.callTool('beta_echo', { text: 'from beta' })).toMatchObject({ ok: true, server: 'beta', tool: 'echo', text: 'from beta' });
    expect(await under.pool.callTool('gamma_add', { a: 1, b: 2 })).toMatchObject({ ok: true, server: 'gamma', text: '3' });
  });

  it('offers only the tools allowTools lets through and none that denyTools names', () => {
    const toolsOf = (server: string) => under.pool.tools().filter((tool) => tool.server === server).map((tool) => tool.toolName);
    expect(toolsOf('beta')).toEqual(['echo', 'add']);
    expect(toolsOf('gamma')).toEqual(['add', 'slow', 'fail', 'image', 'add_tool', 'ask', 'visit', 'sample', 'steps', 'trace_context', 'pid']);
  });

  it('closes every server, leaves no child process behind, and closing twice is harmless', async () => {
    const pids = Object.values(under.pool.serverPids()).filter((pid) => pid !== undefined);
    expect(pids).toHaveLength(3);
    expect(pids.every(isAlive)).toBe(true);
    await Promise.all([under.pool.close(), under.pool.close()]);
    expect(pids.some(isAlive)).toBe(false);
    expect(childPids().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
    await under.pool.close();
    expect(await under.pool.callTool('alpha_echo', { text: 'too late' })).toMatchObject({ ok: false, text: 'server "alpha" is shut down, so "echo" cannot run' });
  });
});

describe('MCP pool start-up limits', () => {
  it('gives up on servers that do not answer within the start-up time-out, all at once, and stops their processes', async () => {
    const before = childPids();
    const asleep = (name: string) => fixtureServerConfig(name, { env: { FIXTURE_STARTUP_DELAY_MS: '60000' } });
    const { pool, logs } = await startPool([asleep('one'), asleep('two'), asleep('three')], { startupTimeoutMs: 1_500 });
    try {
      expect(pool.serverStates()).toEqual({ one: 'failed', two: 'failed', three: 'failed' });
      expect(logs.filter((line) => line.level === ERROR).map((line) => line.reason)).toEqual(Array(3).fill('no answer within the start-up time-out of 1.5 s'));
      // One time-out, not three in a row: every server was under way before the first gave up.
      const lines = logs.items;
      const connecting = lines.flatMap((line, index) => (line.msg === 'connecting' ? [index] : []));
      expect(connecting).toHaveLength(3);
      expect(lines.findIndex((line) => line.level === ERROR)).toBeGreaterThan(Math.max(...connecting));
      expect(childPids().filter((pid) => !before.includes(pid))).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('tries a server that could not start again, with growing pauses, and offers its tools once it starts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'start-retry-'));
    const blocker = path.join(dir, 'down');
    await writeFile(blocker, '');
    const { pool, events, logs } = await startPool([fixtureServerConfig('alpha'), fixtureServerConfig('late', { env: { FIXTURE_EXIT_WHILE_EXISTS: blocker } })], {
      restart: { startRetryDelayMs: 100, maxStartRetryDelayMs: 200 },
    });
    try {
      expect(pool.serverStates()).toEqual({ alpha: 'ready', late: 'failed' });
      expect(pool.tools().some((tool) => tool.name.startsWith('late_'))).toBe(false);
      const retries = () => logs.items.filter((line) => line.server === 'late' && line.msg === 'server still fails to start');
      await logs.waitFor(() => retries().length >= 2, { what: 'two more failed attempts' });
      const failures = logs.items.filter((line) => line.server === 'late' && line.level === ERROR);
      expect(failures.map((line) => [line.msg, line.retryInMs])).toEqual([['server failed to start; skipped for now', 100]]);
      expect(retries().slice(0, 2).map((line) => [line.attempt, line.retryInMs])).toEqual([
        [2, 200],
        [3, 200],
      ]);

      await rm(blocker);
      await events.waitFor((event) => event.server === 'late' && event.type === 'ready', { what: 'late to start' });
      expect(pool.serverStates()).toEqual({ alpha: 'ready', late: 'ready' });
      expect(await pool.callTool('late_echo', { text: 'finally' })).toMatchObject({ ok: true, text: 'finally' });
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts with no servers at all', async () => {
    const { pool } = await startPool([]);
    expect(pool.tools()).toEqual([]);
    expect(pool.serverStates()).toEqual({});
    await pool.close();
  });

  it('skips disabled servers without starting them', async () => {
    const before = childPids();
    const { pool } = await startPool([fixtureServerConfig('off', { disabled: true })]);
    expect(pool.serverStates()).toEqual({});
    expect(childPids()).toEqual(before);
    await pool.close();
  });
});
