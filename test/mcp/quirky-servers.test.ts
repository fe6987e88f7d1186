import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quirkyServerConfig } from '../fixtures/index.js';
import { childPids, ERROR, startPool, WARN, type LogLine, type PoolUnderTest } from './pool-helpers.js';

/**
 * Each server has the deviations of one kind, or one deviation on stdout (where only the first line is
 * quoted); `add` works on every one of them. Grouped so that few processes start on a busy machine.
 */
const SERVERS: Record<string, string[]> = {
  tools: ['empty-schema', 'no-schema', 'bad-schema-type', 'nullable-schema-type', 'boolean-properties', 'odd-optional-fields', 'nameless-tool', 'duplicate-tool'],
  'repeating-cursor': ['repeating-cursor'],
  'no-tools-method': ['no-tools-method'],
  results: ['output-schema', 'odd-content', 'string-content', 'is-error-string', 'structured-array', 'null-cursor', 'no-tools-capability'],
  handshake: ['unknown-protocol-version', 'bare-server-info', 'odd-capabilities', 'unknown-notification', 'envelope-extras'],
  'stdout-banner': ['stdout-banner'],
  'stdout-banner-no-newline': ['stdout-banner-no-newline'],
  'stdout-ansi-spinner': ['stdout-ansi-spinner'],
  'stdout-bom-crlf': ['stdout-bom', 'stdout-crlf'],
  'stdout-json-logs': ['stdout-json-logs'],
  'stdout-pretty-log': ['stdout-pretty-log'],
  'stdout-progress-bar': ['stdout-progress-bar'],
  'stdout-glued-logs': ['stdout-glued-logs'],
  // Several kinds at once, as a real server written in a hurry has them.
  'all-at-once': ['stdout-banner-no-newline', 'stdout-json-logs', 'empty-schema', 'nameless-tool', 'odd-content', 'unknown-protocol-version', 'envelope-extras'],
};

describe('MCP servers written in a hurry', () => {
  let under: PoolUnderTest;
  let childrenBefore: number[];

  beforeAll(async () => {
    childrenBefore = childPids();
    under = await startPool(Object.entries(SERVERS).map(([name, quirks]) => quirkyServerConfig(name, quirks)));
  });
  afterAll(async () => {
    await under?.pool.close();
    expect(childPids().filter((pid) => !childrenBefore.includes(pid))).toEqual([]);
  });

  const toolsOf = (server: string) => under.pool.tools().filter((tool) => tool.server === server);
  const toolNamed = (server: string, toolName: string) => toolsOf(server).find((tool) => tool.toolName === toolName);
  const warnings = (server: string, msg?: string, tool?: string) =>
    under.logs.filter((line) => line.server === server && line.level === WARN && (msg === undefined || line.msg === msg) && (tool === undefined || line.tool === tool));
  const call = (server: string, toolName: string, args: Record<string, unknown> = {}) => under.pool.callTool(toolNamed(server, toolName)?.name ?? `${server}_${toolName}`, args);

  /** The server is up, lists `add`, and `add` works. */
  async function expectUsable(server: string): Promise<void> {
    expect(under.pool.serverStates()[server]).toBe('ready');
    expect(toolNamed(server, 'add')).toBeDefined();
    expect(await call(server, 'add', { a: 2, b: 3 })).toMatchObject({ ok: true, server, tool: 'add', text: '5' });
  }

  function expectOneWarning(server: string, msg: string, fields: Partial<LogLine>): void {
    const lines = warnings(server, msg, fields.tool as string | undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject(fields);
  }

  it('starts every one of them and logs no error', () => {
    const states = under.pool.serverStates();
    expect(Object.entries(states).filter(([, state]) => state !== 'ready')).toEqual([]);
    expect(under.logs.filter((line) => line.level >= ERROR)).toEqual([]);
  });

  describe('a tool list with odd tools keeps the others', () => {
    it('offers add and the repaired tools, and leaves out the rest', async () => {
      await expectUsable('tools');
      expect(toolsOf('tools').map((tool) => tool.toolName)).toEqual(['add', 'odd_empty', 'odd_noschema', 'odd_nullable', 'odd_bool', 'odd_fields']);
    });

    it('gives a tool whose inputSchema is {} an object schema', () => {
      expect(toolNamed('tools', 'odd_empty')?.inputSchema).toEqual({ type: 'object' });
      expectOneWarning('tools', 'tool repaired', { tool: 'odd_empty', problem: 'its inputSchema has no type' });
    });

    it('gives a tool without inputSchema an object schema', () => {
      expect(toolNamed('tools', 'odd_noschema')?.inputSchema).toEqual({ type: 'object' });
      expectOneWarning('tools', 'tool repaired', { tool: 'odd_noschema', problem: 'it has no inputSchema' });
    });

    it('leaves out tools whose inputSchema is not an object schema', () => {
      expectOneWarning('tools', 'tool left out', { tool: 'odd_string', problem: 'its inputSchema is of type "string"; tool arguments are an object' });
      expectOneWarning('tools', 'tool left out', { tool: 'odd_text', problem: 'its inputSchema is a string, not a JSON Schema object' });
    });

    it('reads a nullable object schema as an object schema', () => {
      expect(toolNamed('tools', 'odd_nullable')?.inputSchema).toEqual({ type: 'object', properties: { a: { type: 'number' } } });
      expectOneWarning('tools', 'tool repaired', { tool: 'odd_nullable', problem: 'its inputSchema is of type ["object","null"]' });
    });

    it('turns boolean property schemas into plain ones and drops a required that is not a list', () => {
      expect(toolNamed('tools', 'odd_bool')?.inputSchema).toEqual({ type: 'object', properties: { anything: {} } });
      expectOneWarning('tools', 'tool repaired', { tool: 'odd_bool' });
    });

    it('drops malformed optional fields (description null, title, annotations, icons, _meta) and keeps the tool', () => {
      expect(toolNamed('tools', 'odd_fields')).toMatchObject({ description: '', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } });
      expectOneWarning('tools', 'tool repaired', { tool: 'odd_fields', problem: expect.stringMatching(/description.*title.*annotations.*icons.*_meta/) });
    });

    it('leaves out entries that are not tools: not an object, or without a name', () => {
      expect(['#9', '#10', '#11', '#12'].map((position) => warnings('tools', 'tool left out', position).map((line) => line.problem))).toEqual([
        ['the entry is a string, not a tool'],
        ['the entry is null, not a tool'],
        ['the tool has no name'],
        ['the tool has no name'],
      ]);
    });

    it('keeps the first of two tools with the same name', () => {
      expect(toolNamed('tools', 'add')).toMatchObject({ description: 'Adds two numbers' });
      expectOneWarning('tools', 'tool left out', { tool: 'add', problem: 'an earlier tool of this server has the same name' });
    });

    it('stops listing when a nextCursor repeats, keeping the tools of every page seen', async () => {
      await expectUsable('repeating-cursor');
      expect(toolsOf('repeating-cursor').map((tool) => tool.toolName)).toEqual(['add', 'page_two']);
      expectOneWarning('repeating-cursor', 'tool list cut short', { problem: 'nextCursor "more" was already listed' });
    });

    it('reads a nextCursor of null as the last page', async () => {
      await expectUsable('results');
    });

    it('counts a server that has no tools/list method as ready with no tools', () => {
      expect(under.pool.serverStates()['no-tools-method']).toBe('ready');
      expect(toolsOf('no-tools-method')).toEqual([]);
    });
  });

  describe('an odd tool result still reaches the model', () => {
    it('passes the text of a tool with an outputSchema that answers without structured content', async () => {
      await expectUsable('results');
      expect(await call('results', 'stats', { a: 1, b: 2 })).toMatchObject({ ok: true, text: 'the sum is 3' });
    });

    it('passes the text of a tool whose structured content does not match its outputSchema', async () => {
      expect(await call('results', 'stats_wrong', { a: 1, b: 2 })).toMatchObject({ ok: true, text: 'the sum is 3' });
    });

    it('keeps the good content blocks and describes unknown or incomplete ones, warning once for the tool', async () => {
      const outcome = await call('results', 'odd_content');
      expect(outcome.ok).toBe(true);
      expect(outcome.text.split('\n')).toEqual([
        'before',
        '[unsupported content "json": {"type":"json","json":{"x":1}}]',
        '[unsupported content "text": {"type":"text"}]',
        '[unsupported content "image": {"type":"image","data":"AAAA"}]',
        '**after**',
      ]);
      await call('results', 'odd_content');
      expectOneWarning('results', 'tool result repaired', { tool: 'odd_content', problem: expect.stringContaining('content block 2 is not MCP content') });
    });

    it('reads content given as a string as text', async () => {
      expect(await call('results', 'plain')).toMatchObject({ ok: true, text: 'plain text answer' });
    });

    it('reads isError "true" as a failed call', async () => {
      expect(await call('results', 'flaky')).toMatchObject({ ok: false, text: 'tool "flaky" on server "results" failed: disk full' });
    });

    it('passes structured content that is an array as JSON text', async () => {
      expect(await call('results', 'list_items')).toMatchObject({ ok: true, text: '["a","b"]' });
    });
  });

  describe('an odd handshake or notification does not stop the server', () => {
    it('goes on with a server that answers an unknown protocol version, no serverInfo version and boolean capabilities, saying so once', async () => {
      await expectUsable('handshake');
      expectOneWarning('handshake', 'server handshake repaired', {
        problem: expect.stringMatching(/protocol version "2024-01-01" is not one this client knows.*capabilities\.tools is true.*serverInfo/),
      });
    });

    it('ignores notifications of unknown methods or with malformed params, and accepts "error": null next to a result', async () => {
      expect(await call('handshake', 'add', { a: 20, b: 22 })).toMatchObject({ ok: true, text: '42' });
    });

    it('lists the tools of a server that declares no tools capability', async () => {
      await expectUsable('results');
    });
  });

  describe('a server that writes other things to stdout', () => {
    const NOISE = 'server wrote non-protocol output to stdout; ignoring it';

    it.each([
      ['stdout-banner', 'Quirky MCP server v1.0.0 running on stdio'],
      ['stdout-banner-no-newline', 'Quirky MCP server started.'],
      ['stdout-ansi-spinner', '⠋ Loading tools… ✔ Tools loaded'],
      ['stdout-json-logs', expect.stringContaining('"msg":"sending a message"')],
      ['stdout-pretty-log', '{'],
      ['stdout-progress-bar', 'Downloading index 0% Downloading index 42% Downloading index 100%'],
      ['stdout-glued-logs', '[quirky] sending a message...'],
    ])('works with %s and warns once, quoting the first such line', async (server, firstLine) => {
      await expectUsable(server);
      await call(server, 'add', { a: 1, b: 1 });
      expectOneWarning(server, NOISE, { stdout: firstLine });
    });

    it('works with a byte order mark before the first message and \\r\\n line ends, without a warning', async () => {
      await expectUsable('stdout-bom-crlf');
      expect(warnings('stdout-bom-crlf')).toEqual([]);
    });
  });

  it('works with a server that has several of these at once', async () => {
    await expectUsable('all-at-once');
    expect(toolsOf('all-at-once').map((tool) => tool.toolName)).toEqual(['add', 'odd_empty', 'odd_content']);
    expect((await call('all-at-once', 'odd_content')).ok).toBe(true);
    expect(warnings('all-at-once', 'server wrote non-protocol output to stdout; ignoring it')).toHaveLength(1);
    expect(warnings('all-at-once', 'server handshake repaired')).toHaveLength(1);
  });
});

describe('MCP servers whose stdout cannot be read', () => {
  it('says the server wrote non-protocol output to stdout, quoting it, when it never answers or exits', async () => {
    const before = childPids();
    const { pool, logs } = await startPool([quirkyServerConfig('silent', ['stdout-usage-only']), quirkyServerConfig('exits', ['stdout-usage-exit'])], { startupTimeoutMs: 4_000 });
    try {
      expect(pool.serverStates()).toEqual({ silent: 'failed', exits: 'failed' });
      const reasons = Object.fromEntries(logs.filter((line) => line.level === ERROR).map((line) => [line.server, line.reason]));
      const usage = '"Usage: quirky-server --transport <stdio|http> [--port <n>]"';
      expect(reasons).toEqual({
        silent: `no answer within the start-up time-out of 4 s; it wrote non-protocol output to stdout: ${usage}`,
        exits: `the process exited during start-up; it wrote non-protocol output to stdout: ${usage}`,
      });
    } finally {
      await pool.close();
    }
    expect(childPids().filter((pid) => !before.includes(pid))).toEqual([]);
  });
});
