import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseServer } from '../../src/config/index.js';
import type { ToolProgress } from '../../src/mcp/types.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { childPids, isAlive, startPool, type PoolUnderTest } from './pool-helpers.js';

describe('a stateless stdio server run as two instances', () => {
  let under: PoolUnderTest;
  let pids: number[];

  beforeAll(async () => {
    under = await startPool([fixtureServerConfig('fixture', { instances: 2 })]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  /** Calls the fixture's `pid` tool: which process served the call. */
  const servedBy = async (ms = 0): Promise<number> => {
    const outcome = await under.pool.callTool('pid', { ms });
    expect(outcome).toMatchObject({ ok: true, server: 'fixture', tool: 'pid' });
    return Number(outcome.text);
  };

  it('starts one process per instance and offers their tools once', () => {
    pids = under.pool.instancePids('fixture') as number[];
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(pids.every(isAlive)).toBe(true);
    const names = under.pool.tools().map((tool) => tool.name);
    expect(names).toEqual(['echo', 'add', 'slow', 'fail', 'image', 'crash', 'add_tool', 'ask', 'visit', 'sample', 'steps', 'trace_context', 'pid']);
    expect(under.pool.serverStates()).toEqual({ fixture: 'ready' });
  });

  it('sends a call made alone to the first instance', async () => {
    expect([await servedBy(), await servedBy(), await servedBy()]).toEqual([pids[0], pids[0], pids[0]]);
  });

  it('spreads calls made together over the instances, the least busy first', async () => {
    // Four 300 ms calls on two processes: two rounds, each instance serving one call of each.
    expect(await Promise.all([servedBy(300), servedBy(300), servedBy(300), servedBy(300)])).toEqual([pids[0], pids[1], pids[0], pids[1]]);
  });

  it('leaves a busy instance alone while the other is free', async () => {
    const long = servedBy(1_000);
    expect([await servedBy(), await servedBy()]).toEqual([pids[1], pids[1]]);
    expect(await long).toBe(pids[0]);
  });

  it("routes what a server asks during a call to that call's conversation, per instance", async () => {
    // On one process the newest call would get both forms; on two, each call is the only one on its instance.
    const asking = (name: string) => under.pool.callTool('ask', {}, { elicit: async () => ({ action: 'accept', content: { name } }) });
    const [alice, bob] = await Promise.all([asking('Alice'), asking('Bob')]);
    expect(alice.text).toMatch(/^accept \{"name":"Alice",/);
    expect(bob.text).toMatch(/^accept \{"name":"Bob",/);

    const first: ToolProgress[] = [];
    const second: ToolProgress[] = [];
    await Promise.all([under.pool.callTool('steps', {}, { onProgress: (progress) => first.push(progress) }), under.pool.callTool('steps', {}, { onProgress: (progress) => second.push(progress) })]);
    expect(first.map((progress) => progress.message)).toEqual(['step 1', 'step 2', 'step 3']);
    expect(second.map((progress) => progress.message)).toEqual(['step 1', 'step 2', 'step 3']);
  });

  it('keeps serving on the other instance while a killed one restarts', async () => {
    under.events.clear();
    const killedCall = under.pool.callTool('pid', { ms: 5_000 });
    const onOther = under.pool.callTool('pid', { ms: 300 });
    process.kill(pids[0]!, 'SIGKILL');
    await under.events.waitFor((event) => event.type === 'restarting' && event.instance === 0, { what: 'instance 0 restarting' });

    expect(under.pool.serverStates()).toEqual({ fixture: 'ready' });
    expect(under.pool.instancePids('fixture')).toEqual([undefined, pids[1]]);
    expect(await Promise.all([servedBy(), servedBy(), servedBy()])).toEqual([pids[1], pids[1], pids[1]]);
    expect(await killedCall).toMatchObject({ ok: false, text: 'server "fixture" stopped while running "pid"; it is being restarted' });
    expect((await onOther).text).toBe(String(pids[1]));

    const restarted = await under.events.waitFor((event) => event.type === 'restarted', { what: 'instance 0 restarted', timeoutMs: 20_000 });
    expect(restarted).toEqual({ server: 'fixture', type: 'restarted', attempt: 1, instance: 0 });
    const [newPid, otherPid] = under.pool.instancePids('fixture');
    expect(newPid).not.toBe(pids[0]);
    expect(otherPid).toBe(pids[1]);
    expect(isAlive(pids[0])).toBe(false);
    expect(await Promise.all([servedBy(300), servedBy(300)])).toEqual([newPid, otherPid]);
    expect(under.logs.filter((line) => line.msg === 'server restarted' && line.server === 'fixture' && line.instance === 0)).toHaveLength(1);
  });

  it('refreshes the catalog when any one instance says its tools changed', async () => {
    under.events.clear();
    // The first instance is busy, so the second one gets the new tool and announces it.
    const busy = servedBy(1_000);
    expect((await under.pool.callTool('add_tool', { name: 'shout' })).text).toBe('added shout');
    expect(await under.events.waitFor((event) => event.type === 'tools-changed', { what: 'tools changed' })).toEqual({ server: 'fixture', type: 'tools-changed', instance: 1 });
    expect(under.pool.tools().map((tool) => tool.name)).toContain('shout');
    await busy;
  });
});

it('stops every instance on close and leaves no process behind', async () => {
  const { pool } = await startPool([fixtureServerConfig('trio', { instances: 3 })]);
  let pids: (number | undefined)[] = [];
  try {
    pids = pool.instancePids('trio');
    expect(pids.filter(isAlive)).toHaveLength(3);
  } finally {
    await pool.close();
  }
  expect(pids.filter(isAlive)).toEqual([]);
  expect(childPids().filter((pid) => pids.includes(pid))).toEqual([]);
});

describe('the "instances" field of servers_config.json', () => {
  const configError = (raw: unknown): string => {
    try {
      parseServer('servers_config.json', 'web', raw, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    throw new Error('expected a config error');
  };

  it('takes 1 to 16 processes for a stdio server, and leaves the count out by default', () => {
    expect(parseServer('servers_config.json', 'files', { command: 'x', instances: 4 }, {})).toMatchObject({ kind: 'stdio', instances: 4 });
    expect(parseServer('servers_config.json', 'files', { command: 'x' }, {})).not.toHaveProperty('instances');
    for (const instances of [0, 17, 1.5, '2']) expect(configError({ command: 'x', instances })).toMatch(/^servers_config\.json: server "web": field "instances": /);
  });

  it('is an error on a remote server, naming the file, the server and the field', () => {
    expect(configError({ url: 'https://example.com/mcp', instances: 2 })).toBe(
      'servers_config.json: server "web": field "instances": only a stdio server runs as several processes; a remote server is one connection',
    );
  });
});
