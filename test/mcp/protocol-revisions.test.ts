import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig, remoteServerConfig, startModernFixture, startRemoteFixture, type ModernFixture, type RemoteFixture } from '../fixtures/index.js';
import { startPool, type PoolUnderTest } from './pool-helpers.js';

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

describe('MCP pool with 2026-07-28 and 2025-11-25 servers side by side', () => {
  let modern: ModernFixture;
  let old: RemoteFixture;
  let under: PoolUnderTest;

  beforeAll(async () => {
    [modern, old] = await Promise.all([startModernFixture(), startRemoteFixture({ transport: 'http' })]);
    under = await startPool([
      remoteServerConfig('both', modern.url),
      remoteServerConfig('strict', modern.strictUrl),
      remoteServerConfig('old', old.url),
      fixtureServerConfig('local'),
    ]);
  });
  afterAll(async () => {
    await under?.pool.close();
    await Promise.all([modern?.close(), old?.close()]);
  });

  it('connects to all four and lists every tool', () => {
    expect(under.pool.serverStates()).toEqual({ both: 'ready', strict: 'ready', old: 'ready', local: 'ready' });
    const servers = new Set(under.pool.tools().map((tool) => tool.server));
    expect(servers).toEqual(new Set(['both', 'strict', 'old', 'local']));
    expect(under.pool.tools().filter((tool) => tool.server === 'strict').map((tool) => tool.toolName)).toEqual(expect.arrayContaining(['echo', 'ask', 'visit']));
  });

  it('calls a tool on each of them', async () => {
    const names = (server: string, toolName: string) => under.pool.tools().find((tool) => tool.server === server && tool.toolName === toolName)?.name ?? '';
    const outcomes = await Promise.all([
      under.pool.callTool(names('both', 'echo'), { text: 'to both' }),
      under.pool.callTool(names('strict', 'echo'), { text: 'to strict' }),
      under.pool.callTool(names('old', 'echo'), { text: 'to old' }),
      under.pool.callTool(names('local', 'echo'), { text: 'to local' }),
    ]);
    expect(outcomes.map((outcome) => [outcome.ok, outcome.text])).toEqual([
      [true, 'to both'],
      [true, 'to strict'],
      [true, 'to old'],
      [true, 'to local'],
    ]);
  });

  it('speaks 2026-07-28 to the server that offers it, as the server saw it, on both of its endpoints', async () => {
    const calls = modern.requests.filter((request) => request.method === 'tools/call');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((request) => request.protocolVersion === MODERN && request.era === 'modern')).toBe(true);
    // No 2025 handshake reached either endpoint: the probe found 2026-07-28 at once.
    expect(modern.requests.some((request) => request.method === 'initialize')).toBe(false);
    expect(modern.requests.filter((request) => request.method === 'server/discover').map((request) => request.path)).toEqual(expect.arrayContaining(['/mcp', '/mcp-2026']));
  });

  it('speaks 2025-11-25 to the server that has only that, as the server saw it', () => {
    const versions = old.requests.filter((request) => request.method === 'POST').map((request) => request.headers['mcp-protocol-version']);
    // The probe (claiming 2026-07-28, refused), the initialize handshake (its revision in the body), then 2025-11-25 throughout.
    expect(versions.slice(0, 2)).toEqual([MODERN, undefined]);
    expect(versions.length).toBeGreaterThan(2);
    expect(versions.slice(2).every((version) => version === LEGACY)).toBe(true);
  });

  it('logs which revision each server speaks', () => {
    const ready = under.logs.items.filter((line) => line.msg === 'server ready');
    expect(Object.fromEntries(ready.map((line) => [line.server, line.protocolVersion]))).toEqual({ both: MODERN, strict: MODERN, old: LEGACY, local: LEGACY });
  });

  it('brings a multi round-trip form to the person behind the call and retries the call with the answer', async () => {
    const asked: unknown[] = [];
    const tool = under.pool.tools().find((entry) => entry.server === 'strict' && entry.toolName === 'ask');
    const outcome = await under.pool.callTool(tool?.name ?? '', {}, {
      elicit: async (request) => {
        asked.push(request);
        return { action: 'accept', content: { name: 'Ada', color: 'blue' } };
      },
    });
    expect(asked).toEqual([expect.objectContaining({ message: 'Who should the report be for?', requestedSchema: expect.objectContaining({ required: ['name'] }) })]);
    expect(outcome).toMatchObject({ ok: true, text: 'accept {"name":"Ada","color":"blue"}' });
    // The answer came back as a retry of the same call, in the same revision.
    const asks = modern.requests.filter((request) => request.method === 'tools/call' && request.path === '/mcp-2026');
    expect(asks.length).toBeGreaterThanOrEqual(2);
  });

  it('brings a request to open a page to the person, with its URL', async () => {
    const tool = under.pool.tools().find((entry) => entry.server === 'both' && entry.toolName === 'visit');
    let url: unknown;
    const outcome = await under.pool.callTool(tool?.name ?? '', {}, {
      elicit: async (request) => {
        url = 'url' in request ? request.url : undefined;
        return { action: 'accept' };
      },
    });
    expect(url).toBe('https://fixture.example/sign-in');
    expect(outcome).toMatchObject({ ok: true, text: 'accept' });
  });
});
