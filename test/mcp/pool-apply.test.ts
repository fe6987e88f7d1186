import { afterEach, describe, expect, it } from 'vitest';
import { fixtureServerConfig } from '../fixtures/index.js';
import { runCleanups } from '../helpers/teardown.js';
import { childPids, isAlive, startPool, type PoolUnderTest } from './pool-helpers.js';

/** Three fixture servers with a tool each, so their tools keep their own names. */
const keep = fixtureServerConfig('keep', { allowTools: ['echo'] });
const gone = fixtureServerConfig('gone', { allowTools: ['slow', 'pid'] });
const changing = fixtureServerConfig('changing', { allowTools: ['add'] });

const toolNames = (under: PoolUnderTest) => under.pool.tools().map((tool) => `${tool.server}/${tool.name}`);

describe('applying a reloaded servers file to the running pool', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await runCleanups(cleanups.splice(0));
  });
  const started = async (...servers: Parameters<typeof startPool>[0]) => {
    const under = await startPool(servers);
    cleanups.push(() => under.pool.close());
    return under;
  };
  const closedAfterReload = (under: PoolUnderTest, server: string) =>
    under.logs.waitFor((line) => line.msg === 'replaced or removed server closed' && line.server === server, { what: `${server} closed`, timeoutMs: 20_000 });

  it('starts added servers, restarts changed ones, closes removed ones and leaves the others alone', async () => {
    const under = await started(keep, gone, changing);
    const pids = under.pool.serverPids();
    const changed = { ...changing, allowTools: ['add', 'image'] };

    const changes = await under.pool.apply([keep, changed, fixtureServerConfig('added', { allowTools: ['fail'] })]);

    expect(changes).toEqual({ added: ['added'], removed: ['gone'], restarted: ['changing'] });
    expect(toolNames(under)).toEqual(['keep/echo', 'changing/add', 'changing/image', 'added/fail']);
    expect(under.pool.serverStates()).toEqual({ keep: 'ready', changing: 'ready', added: 'ready' });
    expect(under.pool.serverPids().keep).toBe(pids.keep);
    expect(under.pool.serverPids().changing).not.toBe(pids.changing);
    expect((await under.pool.callTool('image', {})).ok).toBe(true);
    expect(await under.pool.callTool('slow', { ms: 1 })).toMatchObject({ ok: false, text: 'there is no tool named "slow"' });
    await closedAfterReload(under, 'gone');
    await closedAfterReload(under, 'changing');
    expect(isAlive(pids.gone)).toBe(false);
    expect(isAlive(pids.changing)).toBe(false);
  });

  it('changes nothing for an equal file', async () => {
    const under = await started(keep, gone);
    const pids = under.pool.serverPids();
    expect(await under.pool.apply([{ ...keep }, { ...gone }])).toEqual({ added: [], removed: [], restarted: [] });
    expect(under.pool.serverPids()).toEqual(pids);
  });

  it('lets a call already running on a removed server finish there, then closes the server', async () => {
    const under = await started(keep, gone);
    const pid = under.pool.serverPids().gone;
    const call = under.pool.callTool('pid', { ms: 1_500 });
    // Only a removal: the switch happens at once, while the call runs.
    expect(await under.pool.apply([keep])).toEqual({ added: [], removed: ['gone'], restarted: [] });
    expect(under.pool.tools().map((tool) => tool.name)).toEqual(['echo']);
    expect(isAlive(pid)).toBe(true);
    expect(await call).toMatchObject({ ok: true, server: 'gone', text: String(pid) });
    await closedAfterReload(under, 'gone');
    expect(isAlive(pid)).toBe(false);
  });

  it('ends a call still running on a removed server as a failed outcome when the bot stops meanwhile', async () => {
    const under = await started(keep, { ...gone, timeoutMs: 30_000 });
    const call = under.pool.callTool('slow', { ms: 60_000 });
    await under.pool.apply([keep]);
    // Shutting down does not wait for the retiring server's calls: they end as outcomes, not exceptions.
    await under.pool.close();
    expect(await call).toMatchObject({ ok: false, server: 'gone', text: 'server "gone" was shut down while running "slow"' });
  });

  it('applies reloads one at a time, each against the set the one before left', async () => {
    const under = await started(keep);
    const [first, second] = await Promise.all([under.pool.apply([keep, gone]), under.pool.apply([gone])]);
    expect(first).toEqual({ added: ['gone'], removed: [], restarted: [] });
    expect(second).toEqual({ added: [], removed: ['keep'], restarted: [] });
    expect(Object.keys(under.pool.serverStates())).toEqual(['gone']);
  });

  it('counts disabling a server as removing it', async () => {
    const under = await started(keep, gone);
    expect(await under.pool.apply([keep, { ...gone, disabled: true }])).toEqual({ added: [], removed: ['gone'], restarted: [] });
  });

  it('keeps a server that fails to start, as at start-up, and lists it as failed', async () => {
    const under = await started(keep);
    const changes = await under.pool.apply([keep, fixtureServerConfig('broken', { env: { FIXTURE_EXIT_AT_START: '1' } })]);
    expect(changes.added).toEqual(['broken']);
    expect(under.pool.serverStates()).toEqual({ keep: 'ready', broken: 'failed' });
  });

  it('closes a server still starting for a reload when the pool closes, and that reload fails', async () => {
    const before = childPids();
    const under = await started(keep);
    const applying = under.pool.apply([keep, fixtureServerConfig('late', { env: { FIXTURE_STARTUP_DELAY_MS: '30000' } })]);
    await under.logs.waitFor((line) => line.server === 'late' && line.msg === 'connecting', { what: 'late to be started' });
    await under.pool.close();
    expect(childPids().filter((pid) => !before.includes(pid))).toEqual([]);
    await expect(applying).rejects.toThrow('the MCP servers are shutting down');
  });
});
