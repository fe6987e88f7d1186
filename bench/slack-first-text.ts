import { SlackAdapter } from '../src/platforms/slack/index.js';
import { BOT_TOKEN, BOT_USER_ID, CHANNEL_ID, FakeSlack, SIGNING_SECRET, USER_ID, nextTs, streamedText } from '../test/fakes/fake-slack.js';
import { startEngineHarness } from '../test/helpers/engine-harness.js';
import { queueServing } from '../test/helpers/turn-queue.js';
import { medianFirstText, STREAMED_ANSWER } from './first-text.js';

/**
 * Milliseconds from the fake model's first content chunk to the first Slack streaming call carrying
 * text (chat.startStream or appendStream), the p50 over `turns` mentions answered in their threads by
 * the real adapter (Bolt, HTTP mode) on the real engine, against the fake Slack.
 */
export async function measureSlackFirstText(turns: number): Promise<{ first_text_ms_p50_slack: number }> {
  const harness = await startEngineHarness({ script: () => STREAMED_ANSWER });
  const slack = await FakeSlack.start();
  const adapter: SlackAdapter = new SlackAdapter({
    settings: { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
    port: 0,
    engine: harness.engine,
    queue: queueServing(harness.store.kv, harness.logger, () => adapter),
    kv: harness.store.kv,
    logger: harness.logger,
  });
  try {
    await adapter.start();
    const p50 = await medianFirstText(harness, turns, 'Slack', async (turn) => {
      slack.calls.clear();
      const event = { type: 'app_mention', channel: CHANNEL_ID, user: USER_ID, text: `<@${BOT_USER_ID}> question ${turn}`, ts: nextTs() };
      await slack.postToBot(adapter.httpPort!, JSON.stringify(slack.eventCallback(event)));
      await slack.waitForCall('chat.stopStream');
      return slack.calls.items.find((call) => (call.method === 'chat.startStream' || call.method === 'chat.appendStream') && streamedText(call.args.chunks ?? []) !== '')?.at;
    });
    return { first_text_ms_p50_slack: p50 };
  } finally {
    await adapter.stop();
    await slack.close();
    await harness.close();
  }
}
