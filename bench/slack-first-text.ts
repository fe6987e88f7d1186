import { SlackAdapter } from '../src/platforms/slack/index.js';
import { BOT_TOKEN, BOT_USER_ID, CHANNEL_ID, FakeSlack, SIGNING_SECRET, USER_ID, nextTs, streamedText } from '../test/fakes/fake-slack.js';
import { startEngineHarness } from '../test/helpers/engine-harness.js';
import { median } from './measure.js';

/** About the 1,500 characters a model writes in a few seconds. */
const ANSWER = Array.from({ length: 25 }, (_, index) => `Line ${index} of a streamed answer, long enough to batch.`).join(' ');

/**
 * Milliseconds from the fake model's first content chunk to the first Slack streaming call carrying
 * text (chat.startStream or appendStream), the p50 over `turns` mentions answered in their threads by
 * the real adapter (Bolt, HTTP mode) on the real engine, against the fake Slack.
 */
export async function measureSlackFirstText(turns: number): Promise<{ first_text_ms_p50_slack: number }> {
  const harness = await startEngineHarness({ script: () => ANSWER });
  const slack = await FakeSlack.start();
  const adapter = new SlackAdapter({
    settings: { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
    port: 0,
    engine: harness.engine,
    kv: harness.store.kv,
    logger: harness.logger,
  });
  try {
    await adapter.start();
    const delays: number[] = [];
    for (let turn = 0; turn < turns; turn += 1) {
      harness.llm.requests.clear();
      slack.calls.clear();
      const ts = nextTs();
      const event = { type: 'app_mention', channel: CHANNEL_ID, user: USER_ID, text: `<@${BOT_USER_ID}> question ${turn}`, ts };
      await slack.postToBot(adapter.httpPort!, JSON.stringify(slack.eventCallback(event)));
      await slack.waitForCall('chat.stopStream');
      const firstText = slack.calls.items.find((call) => (call.method === 'chat.startStream' || call.method === 'chat.appendStream') && streamedText(call.args.chunks ?? []) !== '');
      const firstChunkAt = harness.llm.requests.items[0]?.firstChunkAt;
      if (!firstText || firstChunkAt === undefined) throw new Error('a turn streamed no text to Slack');
      delays.push(firstText.at - firstChunkAt);
    }
    return { first_text_ms_p50_slack: median(delays) };
  } finally {
    await adapter.stop();
    await slack.close();
    await harness.close();
  }
}
