import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { startFakeLlm, type FakeLlm, type LlmRequest } from '../fakes/fake-llm.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../fakes/otlp-receiver.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { fakeLlmEnv, projectRoot, startBotProcess, type BotProcess } from '../helpers/bot-process.js';
import { runCleanups } from '../helpers/teardown.js';

const TRACEPARENT = /00-([0-9a-f]{32})-([0-9a-f]{16})-0[0-9a-f]/;
const reportLoadedPackages = `--import ${pathToFileURL(path.join(projectRoot, 'test/fixtures/report-loaded-packages.mjs')).href}`;
const lastContent = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '');

/** Runs the bot's entry in the console on `questions` until it exits at end of input; returns the OpenTelemetry packages it loaded. */
async function runBot(questions: string[], env: Record<string, string>): Promise<{ bot: BotProcess; packages: string[] }> {
  const bot = startBotProcess({ ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${reportLoadedPackages}`.trim() });
  try {
    bot.child.stdin.end(questions.map((question) => `${question}\n`).join(''));
    const code = await bot.exited;
    expect(code, bot.output.stderr).toBe(0);
    const report = bot.logs().find((entry) => entry.msg === 'loaded packages') as { packages?: string[] } | undefined;
    expect(report, 'the preloaded module report was written').toBeDefined();
    return { bot, packages: report?.packages ?? [] };
  } finally {
    if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
  }
}

describe('traces over OTLP', () => {
  let dir: string;
  let llm: FakeLlm;
  let receiver: OtlpReceiver;
  let env: Record<string, string>;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracing-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const fixture = fixtureServerConfig('fixture');
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { fixture: { command: fixture.command, args: fixture.args } } }));
    llm = await startFakeLlm((request) => {
      // The tool's result (the feedback's second line) becomes the answer, for the test to read on stdout.
      if (lastContent(request).startsWith('[tool] ')) return `the tool said: ${lastContent(request).split('\n')[1]}`;
      if (request.lastUserText.includes('trace')) return { toolCall: { tool: 'trace_context', arguments: {} } };
      if (request.lastUserText.includes('fail')) return { toolCall: { tool: 'fail', arguments: { message: 'broken on purpose' } } };
      return 'hello';
    });
    cleanups.push(() => llm.close());
    receiver = await startOtlpReceiver();
    cleanups.push(() => receiver.close());
    env = { ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}` };
  });

  afterAll(() => runCleanups(cleanups));

  it('sends one trace per turn, from the message through the tool server, and the server gets its traceparent', async () => {
    const { bot, packages } = await runBot(['show the trace context', 'now fail'], {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'bot-under-test',
    });
    expect(packages).toContain('@opentelemetry/sdk-trace-node');

    // The bot flushes its spans before it exits; waiting only guards against the receiver lagging behind.
    const turnSpans = () => receiver.spans.filter((span) => span.name === 'turn');
    await receiver.spans.waitFor(() => turnSpans().length === 2, { what: 'two turn spans' });
    const childrenOf = (parent: ReceivedSpan) => receiver.spans.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);
    const named = (spans: ReceivedSpan[], name: string) => spans.filter((span) => span.name === name);
    const turnCalling = (tool: string) => turnSpans().find((turn) => named(childrenOf(turn), `tools/call ${tool}`).length === 1) as ReceivedSpan;
    const [first, second] = [turnCalling('trace_context'), turnCalling('fail')];

    expect(first.traceId).not.toBe(second.traceId);
    for (const [turn, tool] of [[first, 'trace_context'], [second, 'fail']] as const) {
      expect(turn.parentSpanId || undefined).toBeUndefined();
      expect(turn.attributes).toMatchObject({ 'gen_ai.conversation.id': 'console:local', 'mcp_bot.platform': 'console' });
      expect(turn.resource['service.name']).toBe('bot-under-test');
      // Every span of the trace hangs off the turn: none stayed in the trace of the turn queued before it.
      expect(childrenOf(turn).map((span) => span.name).sort()).toEqual(['chat fake-model', 'chat fake-model', 'get history', 'queue wait', 'set history', `tools/call ${tool}`]);
    }

    const [tracedCall] = named(childrenOf(first), 'tools/call trace_context') as [ReceivedSpan];
    expect(tracedCall).toMatchObject({
      kind: 3,
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'trace_context', 'mcp_bot.server.name': 'fixture', 'network.transport': 'pipe' },
    });
    expect(tracedCall.status.code ?? 0).not.toBe(2);
    // The fixture tool answered with the traceparent of its request's _meta: this trace, this call's span.
    const seen = TRACEPARENT.exec(bot.output.stdout);
    expect(seen?.[1]).toBe(first.traceId);
    expect(seen?.[2]).toBe(tracedCall.spanId);

    for (const chat of named(childrenOf(first), 'chat fake-model')) {
      expect(chat).toMatchObject({ kind: 3, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'fake-model', 'server.address': '127.0.0.1' } });
      expect(chat.attributes['gen_ai.usage.input_tokens']).toEqual(expect.any(Number));
      expect(chat.attributes['gen_ai.usage.output_tokens']).toEqual(expect.any(Number));
    }
    expect(named(childrenOf(first), 'get history')[0]?.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'get', 'db.collection.name': 'history' });
    expect(named(childrenOf(first), 'set history')[0]?.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'set' });

    const [failedCall] = named(childrenOf(second), 'tools/call fail') as [ReceivedSpan];
    expect(failedCall.status).toMatchObject({ code: 2, message: expect.stringContaining('broken on purpose') });
    expect(failedCall.attributes['error.type']).toBe('tool_error');
  });

  it('a bot without an OTLP endpoint never loads the SDK, and its MCP servers get no trace context', async () => {
    const { bot, packages } = await runBot(['show the trace context'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    expect(packages.filter((name) => name !== '@opentelemetry/api')).toEqual([]);
    expect(bot.output.stdout).toContain('the tool said: none');
  });
});

describe('OTLP settings', () => {
  let dir: string;
  let base: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tracing-settings-'));
    await writeFile(path.join(dir, 'servers.json'), '{"mcpServers": {}}');
    base = { LLM_MODEL: 'm', MCP_CONFIG: path.join(dir, 'servers.json') };
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('appends v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, and is off without either', async () => {
    expect((await loadSettings({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).tracing).toEqual({ tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'mcp-chat-bot' });
    const both = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp', OTEL_SERVICE_NAME: 'support-bot' };
    expect((await loadSettings(both)).tracing).toEqual({ tracesUrl: 'https://traces.example/otlp', serviceName: 'support-bot' });
    expect((await loadSettings({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).tracing).toBeUndefined();
    await expect(loadSettings({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).rejects.toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
