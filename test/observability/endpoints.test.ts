import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessPolicy, OPEN_RULE } from '../../src/access/index.js';
import { ConversationEngine } from '../../src/engine/index.js';
import { createChatModel } from '../../src/llm/index.js';
import { serveRoutes } from '../../src/http/index.js';
import { observabilityRoutes } from '../../src/observability/http-endpoints.js';
import { countRestarts, measuredChatModel, measuredTools } from '../../src/observability/instrument.js';
import { BotMetrics } from '../../src/observability/metrics.js';
import type { PlatformAdapter } from '../../src/platforms/types.js';
import { openStore } from '../../src/store/index.js';
import type { LlmRequest } from '../fakes/fake-llm.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { startEngineHarness, TEST_ENGINE_SETTINGS, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

const fedBack = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '').startsWith('[tool] ');

/** A platform whose connection the test switches on and off. */
class StubPlatform implements PlatformAdapter {
  readonly platform = 'discord';
  up = true;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  connected(): boolean {
    return this.up;
  }
}

describe('health and metrics endpoints', () => {
  let harness: EngineHarness;
  let engine: ConversationEngine;
  let metrics: BotMetrics;
  let server: Server;
  let base: string;
  const platform = new StubPlatform();
  let storeAnswers = async () => true;

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
  };
  const ask = async (text: string) => {
    const reply = new RecordingReply();
    await engine.handle({ threadKey: 'discord:g:c:t', asker: testAsker('u'), text }, reply);
    return reply;
  };

  beforeAll(async () => {
    harness = await startEngineHarness({
      servers: [fixtureServerConfig('fixture'), fixtureServerConfig('broken', { env: { FIXTURE_EXIT_AT_START: '1' } })],
      script: (request) => {
        if (request.lastUserText === 'fail') return { status: 500 };
        if (fedBack(request)) return 'done';
        if (request.lastUserText === 'echo') return { toolCall: { tool: 'echo', arguments: { text: 'hi' } } };
        return request.lastUserText === 'crash' ? { toolCall: { tool: 'crash', arguments: {} } } : { toolCall: { tool: 'add', arguments: { a: 1, b: 2 } } };
      },
      llm: { maxRetries: 0 },
    });
    metrics = new BotMetrics();
    countRestarts(harness.pool, metrics);
    engine = new ConversationEngine({
      llm: measuredChatModel(createChatModel({ baseUrl: harness.llm.url, apiKey: 'k', model: 'm', timeoutMs: 10_000, maxRetries: 0 }, harness.logger), metrics),
      tools: measuredTools(harness.pool, metrics),
      history: harness.store.history,
      settings: TEST_ENGINE_SETTINGS,
      logger: harness.logger,
      observer: metrics,
      access: new AccessPolicy(OPEN_RULE, [{ name: 'fixture', confirmTools: ['echo'] }]),
    });
    metrics.queueDepth = () => engine.queuedTurns();
    const routes = observabilityRoutes({ adapters: () => [platform], serverStates: () => harness.pool.serverStates(), storeAnswers: () => storeAnswers() }, metrics, harness.logger);
    server = await serveRoutes(routes, 0, harness.logger);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await harness?.close();
  });

  it('reports healthy with platforms, each MCP server and the store', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok', platforms: { discord: true }, mcp: { fixture: 'ready', broken: 'failed' }, store: 'ok' });
  });

  it('answers 503 when no platform is connected or the store is down', async () => {
    platform.up = false;
    expect((await get('/healthz')).status).toBe(503);
    platform.up = true;

    const closed = await openStore({ url: 'memory://', historyTtlMs: 1000 }, harness.logger);
    await closed.close();
    storeAnswers = () => closed.ping();
    const down = await get('/healthz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({ status: 'degraded', store: 'down' });
    storeAnswers = async () => true;
  });

  it('counts turns, LLM requests and errors, tool calls and restarts in Prometheus text', async () => {
    expect((await ask('add please')).answer?.text).toBe('done');
    expect((await ask('fail')).errorMessage).toBeDefined();
    const restarted = new Promise<void>((resolve) => harness.pool.onServerEvent((event) => event.type === 'restarted' && resolve()));
    await ask('crash');
    await restarted;

    const { status, type, text } = await get('/metrics');
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(text).toContain('mcp_bot_turns_total{platform="discord",outcome="answered"} 2');
    expect(text).toContain('mcp_bot_turns_total{platform="discord",outcome="failed"} 1');
    expect(text).toMatch(/mcp_bot_turn_duration_seconds_count\{platform="discord"\} 3/);
    expect(text).toContain('mcp_bot_llm_errors_total{kind="server_error"} 1');
    expect(text).toMatch(/mcp_bot_llm_request_duration_seconds_count 5/);
    expect(text).toContain('mcp_bot_tool_calls_total{server="fixture",tool="add",outcome="ok"} 1');
    expect(text).toContain('mcp_bot_tool_calls_total{server="fixture",tool="crash",outcome="error"} 1');
    expect(text).toMatch(/mcp_bot_tool_call_duration_seconds_count\{server="fixture",tool="add"\} 1/);
    expect(text).toContain('mcp_bot_mcp_server_restarts_total{server="fixture"} 1');
    expect(text).toContain('mcp_bot_queued_turns 0');
    expect(text).toContain('mcp_bot_process_resident_memory_bytes');
  });

  it('counts confirmations by server, tool and outcome', async () => {
    const reply = new RecordingReply();
    const turn = engine.handle({ threadKey: 'discord:g:c:confirm', asker: testAsker('u'), text: 'echo' }, reply);
    const question = await reply.confirmationsAsked.waitFor(() => true);
    await engine.decideConfirmation(question.id, 'u', false);
    await turn;
    expect((await get('/metrics')).text).toContain('mcp_bot_tool_confirmations_total{server="fixture",tool="echo",outcome="denied"} 1');
  });

  it('answers 404 elsewhere', async () => {
    expect((await get('/nope')).status).toBe(404);
  });
});
