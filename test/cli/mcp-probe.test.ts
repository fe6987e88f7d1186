import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startOAuthFixture } from '../fixtures/oauth-fixture.js';
import { startRemoteFixture } from '../fixtures/remote-fixture.js';
import { startEntry } from '../helpers/bot-process.js';

/** A small server whose every tool works with arguments made from its schema, unless `failing` adds one that never does. */
function probeTarget(options: { failing?: boolean } = {}): () => McpServer {
  return () => {
    const server = new McpServer({ name: 'probe-target', version: '1.0.0' });
    server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
    server.registerTool('greet', { inputSchema: { name: z.string(), style: z.enum(['formal', 'casual']).default('casual') } }, ({ name, style }) => ({
      content: [{ type: 'text', text: style === 'casual' ? `Hey ${name}` : `Good day, ${name}` }],
    }));
    if (options.failing) server.registerTool('fail', {}, () => ({ content: [{ type: 'text', text: 'out of paper' }], isError: true }));
    return server;
  };
}

/** `npm run mcp-probe` as an operator runs it: the entry on the project's Node, its exit code and output. */
async function probe(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startEntry('src/cli/mcp-probe.ts', args, { LOG_LEVEL: 'warn' });
  run.child.stdin.end();
  const code = await run.exited;
  return { code, ...run.output };
}

describe('npm run mcp-probe: one server checked through the bot’s own pool', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function remote(options: { failing?: boolean } = {}): Promise<string> {
    const fixture = await startRemoteFixture({ transport: 'http', mcpServer: probeTarget(options) });
    cleanups.push(() => fixture.close());
    return fixture.url;
  }

  it('lists the tools, calls each with arguments from its schema (defaults first) and exits 0', async () => {
    const run = await probe(await remote());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual(['server ready, 2 tools', 'add: ok: 2', 'greet: ok: Hey test']);
  });

  it('exits 1 and names the tool when a call fails', async () => {
    const run = await probe(await remote({ failing: true }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('add: ok: 2');
    expect(run.stdout).toContain('fail: error: tool "fail" on server "probe" failed: out of paper');
  });

  it('goes through OAuth (discovery, registration, PKCE) when the server asks for it', async () => {
    const fixture = await startOAuthFixture({ mcpServer: probeTarget() });
    cleanups.push(() => fixture.close());
    const run = await probe(fixture.url);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('server ready, 2 tools');
    expect(fixture.authorizations.items).toHaveLength(1);
    expect(fixture.grants.items.map((grant) => grant.grantType)).toEqual(['authorization_code']);
  });

  it('exits 1 when the server cannot be reached', async () => {
    const url = await remote();
    await cleanups.pop()!();
    const run = await probe(url);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('server failed, 0 tools');
  });

  it('says how to use it when no URL is given, exiting 2', async () => {
    const run = await probe();
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('usage: npm run -s mcp-probe -- <server-url>\n');
  });
});
