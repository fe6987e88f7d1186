import { DiscordAdapter } from '../src/platforms/discord/index.js';
import { FakeDiscord } from '../test/fakes/fake-discord.js';
import { startEngineHarness } from '../test/helpers/engine-harness.js';
import { queueServing } from '../test/helpers/turn-queue.js';
import { TOKEN } from '../test/platforms/discord/discord-bot.js';
import { medianFirstText, STREAMED_ANSWER } from './first-text.js';

/**
 * Milliseconds from the fake model's first content chunk to the first message the bot posts or edits
 * with text in the thread, the p50 over `turns` mentions answered by the real adapter (discord.js) on
 * the real engine, against the fake Discord.
 */
export async function measureDiscordFirstText(turns: number): Promise<{ first_text_ms_p50_discord: number }> {
  const harness = await startEngineHarness({ script: () => STREAMED_ANSWER });
  const discord = await FakeDiscord.start();
  const adapter: DiscordAdapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, queue: queueServing(harness.store.kv, harness.logger, () => adapter), kv: harness.store.kv, logger: harness.logger });
  try {
    await adapter.start();
    const p50 = await medianFirstText(harness, turns, 'Discord', async (turn) => {
      discord.rest.clear();
      const thread = discord.guildMessage(`question ${turn}`);
      const inThread = new RegExp(`^/channels/${thread}/messages`);
      await discord.rest.waitFor((call) => inThread.test(call.path) && call.body?.content === STREAMED_ANSWER, { what: `the answer in thread ${turn}` });
      await harness.engine.drain(10_000);
      return discord.rest.items.find((call) => (call.method === 'POST' || call.method === 'PATCH') && inThread.test(call.path) && String(call.body?.content ?? '').trim() !== '')?.at;
    });
    return { first_text_ms_p50_discord: p50 };
  } finally {
    await adapter.stop();
    await discord.close();
    await harness.close();
  }
}
