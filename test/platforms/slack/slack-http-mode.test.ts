import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../src/platforms/slack/index.js';
import { FakeSlack, SIGNING_SECRET } from '../../fakes/fake-slack.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { testLogger } from '../../helpers/logger.js';
import { runCleanups } from '../../helpers/teardown.js';
import { queueServing } from '../../helpers/turn-queue.js';
import { BOT_TOKEN, dm } from './slack-bot.js';

describe('Slack HTTP events mode', () => {
  let harness: EngineHarness;
  let slack: FakeSlack;
  let adapter: SlackAdapter;
  let port: number;

  beforeAll(async () => {
    harness = await startEngineHarness({ servers: [], script: () => 'nobody should ask me' });
    slack = await FakeSlack.start();
    adapter = new SlackAdapter({
      settings: { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
      port: 0,
      engine: harness.engine,
      queue: queueServing(harness.store.kv, harness.logger, () => adapter),
      kv: harness.store.kv,
      logger: harness.logger,
      routes: [{ path: '/healthz', method: 'GET', handler: (_request, response) => void response.writeHead(200, { 'content-type': 'text/plain' }).end('ok') }],
    });
    await adapter.start();
    port = adapter.httpPort!;
  });
  afterAll(async () => {
    // Newest first, every one run even when another fails, and any failure fails the file.
    await runCleanups([async () => harness?.close(), async () => slack?.close(), async () => adapter?.stop()]);
  });

  it('listens on the port it was given, 0 meaning a free one', () => {
    expect(port).toBeGreaterThan(0);
  });

  it('answers the url_verification challenge', async () => {
    const response = await slack.postToBot(port, JSON.stringify({ type: 'url_verification', token: 't', challenge: 'challenge-123' }));
    expect(response.status).toBe(200);
    expect(response.body).toContain('challenge-123');
  });

  it('rejects a bad signature or a stale timestamp with 401 and does nothing', async () => {
    const forged = await slack.postToBot(port, JSON.stringify(slack.eventCallback(dm('forged'))), { secret: 'not-the-signing-secret' });
    const replayed = await slack.postToBot(port, JSON.stringify(slack.eventCallback(dm('replayed'))), { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect([forged.status, replayed.status]).toEqual([401, 401]);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(0);
    expect(harness.llm.requests.items).toHaveLength(0);
  });

  it('serves extra routes (e.g. a health check) on the same port as /slack/events', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});

describe('Slack adapter settings', () => {
  it('refuses to start with neither an app token nor a signing secret', () => {
    const build = () =>
      new SlackAdapter({
        settings: { botToken: BOT_TOKEN, appToken: undefined, signingSecret: undefined, apiUrl: undefined },
        port: 0,
        engine: undefined as never,
        queue: undefined as never,
        kv: undefined as never,
        logger: testLogger(),
      });
    expect(build).toThrow(/SLACK_APP_TOKEN.*SLACK_SIGNING_SECRET/);
  });
});
