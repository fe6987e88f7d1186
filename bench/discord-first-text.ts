import { DiscordAdapter } from '../src/platforms/discord/index.js';
import { FakeDiscord } from '../test/fakes/fake-discord.js';
import { startEngineHarness } from '../test/helpers/engine-harness.js';
import { TOKEN } from '../test/platforms/discord/discord-bot.js';
import { median } from './measure.js';

/** About the 1,500 characters a model writes in a few seconds. */
const ANSWER = Array.from({ length: 25 }, (_, index) => `Line ${index} of a streamed answer, long enough to batch.`).join(' ');

/**
 * Milliseconds from the fake model's first content chunk to the first message the bot posts or edits
 * with text in the thread, the p50 over `turns` mentions answered by the real adapter (discord.js) on
 * the real engine, against the fake Discord.
 */
export async function measureDiscordFirstText(turns: number): Promise<{ first_text_ms_p50_discord: number }> {
  const harness = await startEngineHarness({ script: () => ANSWER });
  const discord = await FakeDiscord.start();
  const adapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, kv: harness.store.kv, logger: harness.logger });
  try {
    await adapter.start();
    const delays: number[] = [];
    for (let turn = 0; turn < turns; turn += 1) {
      harness.llm.requests.clear();
      discord.rest.clear();
      const thread = discord.guildMessage(`question ${turn}`);
      const inThread = new RegExp(`^/channels/${thread}/messages`);
      await discord.rest.waitFor((call) => inThread.test(call.path) && call.body?.content === ANSWER, { what: `the answer in thread ${turn}` });
      await harness.engine.drain(10_000);
      const firstText = discord.rest.items.find((call) => (call.method === 'POST' || call.method === 'PATCH') && inThread.test(call.path) && String(call.body?.content ?? '').trim() !== '');
      const firstChunkAt = harness.llm.requests.items[0]?.firstChunkAt;
      if (!firstText || firstChunkAt === undefined) throw new Error('a turn streamed no text to Discord');
      delays.push(firstText.at - firstChunkAt);
    }
    return { first_text_ms_p50_discord: median(delays) };
  } finally {
    await adapter.stop();
    await discord.close();
    await harness.close();
  }
}
