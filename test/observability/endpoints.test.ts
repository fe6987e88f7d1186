import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessPolicy, OPEN_RULE } from '../../src/access/index.js';
import { ConversationEngine } from '../../src/engine/index.js';
import { createChatModel } from '../../src/llm/index.js';
import { serveRoutes } from '../../src/http/index.js';
import { observabilityRoutes } from '../../src/observability/http-endpoints.js';
import { countRestarts, measuredChatModel, measuredTools } from '../../src/observability/instrument.js';
import { BotMetrics } from '../../src/observability/metrics.js';
import { DiscordAdapter } from '../../src/platforms/discord/index.js';
import { SlackAdapter } from '../../src/platforms/slack/index.js';
import type { PlatformAdapter } from '../../src/platforms/types.js';
import { openStore } from '../../src/store/index.js';
import { FakeDiscord } from '../fakes/fake-discord.js';
import type { LlmRequest } from '../fakes/fake-llm.js';
import { FakeSlack, SIGNING_SECRET } from '../fakes/fake-slack.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { startEngineHarness, TEST_ENGINE_SETTINGS, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { capturingLogger } from '../helpers/logger.js';
import { RecordingReply } from '../helpers/recording-reply.js';
import { runCleanups } from '../helpers/teardown.js';
import { queueServing } from '../helpers/turn-queue.js';
import { LocalTurnQueue } from '../../src/queue/index.js';
import { queueReport } from '../../src/observability/health.js';
import { TOKEN } from '../platforms/discord/discord-bot.js';
import { APP_TOKEN, BOT_TOKEN } from '../platforms/slack/slack-bot.js';

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
      llm: measuredChatModel(createChatModel({ baseUrl: harness.llm.url, apiKey: 'k', model: 'm', timeoutMs: 10_000, maxRetries: 0, stream: true }, harness.logger), metrics),
      tools: measuredTools(harness.pool, metrics),
      history: harness.store.history,
      settings: TEST_ENGINE_SETTINGS,
      logger: harness.logger,
      observer: metrics,
      access: new AccessPolicy(OPEN_RULE, [{ name: 'fixture', confirmTools: ['echo'] }]),
    });
    const queue = new LocalTurnQueue(harness.store.kv, harness.logger);
    metrics.queueCounts = () => queue.counts();
    const routes = observabilityRoutes({ adapters: () => [platform], serverStates: () => harness.pool.serverStates(), storeAnswers: () => storeAnswers(), queue: () => queueReport(queue) }, metrics, harness.logger);
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
    expect(JSON.parse(health.text)).toEqual({
      status: 'ok',
      platforms: { discord: true },
      mcp: { fixture: 'ready', broken: 'failed' },
      store: 'ok',
      queue: { kind: 'in-process', waiting: 0, active: 0, stalled: 0, runningHere: 0 },
      process: { pid: process.pid },
    });
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
    expect(text).toContain('mcp_bot_queued_turns{state="waiting"} 0');
    expect(text).toContain('mcp_bot_queued_turns{state="stalled"} 0');
    expect(text).toContain('mcp_bot_personal_connections 0');
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

describe('/healthz with the real adapters (discord.js against the fake Discord, Bolt against the fake Slack)', () => {
  let harness: EngineHarness;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    harness = await startEngineHarness();
  });
  afterEach(async () => {
    await runCleanups(cleanups.splice(0));
  });
  afterAll(async () => {
    await harness?.close();
  });

  /** /healthz as the bot serves it, over the given adapters; resolves with whether it said ok and what it said of the platform. */
  async function healthOf(adapter: PlatformAdapter): Promise<() => Promise<{ ok: boolean; platform: boolean }>> {
    const routes = observabilityRoutes({ adapters: () => [adapter], serverStates: () => harness.pool.serverStates(), storeAnswers: () => harness.store.ping() }, new BotMetrics(), harness.logger);
    const server = await serveRoutes(routes, 0, harness.logger);
    cleanups.push(() => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    return async () => {
      const response = await fetch(url);
      const report = (await response.json()) as { status: string; platforms: Record<string, boolean> };
      expect(response.status).toBe(report.status === 'ok' ? 200 : 503);
      return { ok: response.status === 200, platform: report.platforms[adapter.platform]! };
    };
  }

  async function discordAdapter(logger = harness.logger): Promise<{ discord: FakeDiscord; adapter: DiscordAdapter; health: () => Promise<{ ok: boolean; platform: boolean }> }> {
    const discord = await FakeDiscord.start();
    cleanups.push(() => discord.close());
    const adapter: DiscordAdapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, queue: queueServing(harness.store.kv, logger, () => adapter), kv: harness.store.kv, logger });
    cleanups.push(() => adapter.stop());
    return { discord, adapter, health: await healthOf(adapter) };
  }

  it('is not ok while Discord has not sent READY, and ok once it has', async () => {
    const { discord, adapter, health } = await discordAdapter();
    discord.holdReady = true;
    const started = adapter.start();
    await discord.gatewaySends.waitFor((send) => send.op === 2, { what: 'IDENTIFY' });
    expect(await health()).toEqual({ ok: false, platform: false });
    discord.releaseReady();
    await started;
    expect(await health()).toEqual({ ok: true, platform: true });
  });

  // client.isReady() stays true once the client has been ready; the adapter follows its shard instead (issue 13).
  it('is not ok while Discord closes the gateway and lets no one back in, and ok again once the session resumes', async () => {
    const { logger, logs } = capturingLogger();
    const { discord, adapter, health } = await discordAdapter(logger);
    await adapter.start();
    expect(await health()).toEqual({ ok: true, platform: true });

    discord.dropGateway();
    const lost = await logs.waitFor((line) => line.msg.startsWith('Discord gateway connection lost'), { what: 'the drop logged' });
    expect(lost).toMatchObject({ level: 40, platform: 'discord', shard: 0 });
    expect(await health()).toEqual({ ok: false, platform: false });

    discord.restoreGateway();
    const back = await logs.waitFor((line) => line.msg === 'Discord gateway connection back', { what: 'the return logged' });
    expect(back).toMatchObject({ level: 30, platform: 'discord', shard: 0 });
    expect(await health()).toEqual({ ok: true, platform: true });
    // Back through RESUME on the same session, not a second IDENTIFY.
    expect(discord.gatewaySends.filter((send) => send.op === 2)).toHaveLength(1);
    expect(discord.gatewaySends.filter((send) => send.op === 6).length).toBeGreaterThan(0);
  });

  it.each(['http', 'socket'] as const)('follows the Slack adapter in %s mode: not ok before it connects or once it stops, ok in between', async (mode) => {
    const slack = await FakeSlack.start();
    cleanups.push(() => slack.close());
    const settings = mode === 'http' ? { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl } : { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: undefined, apiUrl: slack.apiUrl };
    const adapter: SlackAdapter = new SlackAdapter({ settings, port: 0, engine: harness.engine, queue: queueServing(harness.store.kv, harness.logger, () => adapter), kv: harness.store.kv, logger: harness.logger });
    // The test stops the adapter itself, and Bolt refuses to stop an HTTP receiver twice: teardown stops it only if the test did not get that far.
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= adapter.stop());
    cleanups.push(stop);
    const health = await healthOf(adapter);
    expect(await health()).toEqual({ ok: false, platform: false });
    await adapter.start();
    expect(await health()).toEqual({ ok: true, platform: true });
    await stop();
    expect(await health()).toEqual({ ok: false, platform: false });
  });

  // Socket Mode's client waits clientPingTimeout (5 s) before each reconnect, so the return takes that long.
  it('is not ok while Slack has closed the Socket Mode connection, and ok again once it reconnects', async () => {
    const slack = await FakeSlack.start();
    cleanups.push(() => slack.close());
    const { logger, logs } = capturingLogger();
    const adapter: SlackAdapter = new SlackAdapter({ settings: { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: undefined, apiUrl: slack.apiUrl }, port: 0, engine: harness.engine, queue: queueServing(harness.store.kv, logger, () => adapter), kv: harness.store.kv, logger });
    cleanups.push(() => adapter.stop());
    const health = await healthOf(adapter);
    await adapter.start();
    expect(await health()).toEqual({ ok: true, platform: true });

    slack.dropConnections();
    const lost = await logs.waitFor((line) => line.msg.startsWith('Slack Socket Mode connection lost'), { what: 'the drop logged' });
    expect(lost).toMatchObject({ level: 40, platform: 'slack' });
    expect(await health()).toEqual({ ok: false, platform: false });

    slack.restoreConnections();
    const back = await logs.waitFor((line) => line.msg === 'Slack Socket Mode connection back', { timeoutMs: 20_000, what: 'the return logged' });
    expect(back).toMatchObject({ level: 30, platform: 'slack' });
    expect(await health()).toEqual({ ok: true, platform: true });
  }, 30_000);
});
