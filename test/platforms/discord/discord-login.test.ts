import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/index.js';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import { FakeDiscord } from '../../fakes/fake-discord.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { queueServing } from '../../helpers/turn-queue.js';
import { TOKEN } from './discord-bot.js';

describe('Discord refusing the bot at log-in (real discord.js, fake Discord)', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({ script: () => 'unused' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function startAgainst(refuse: (discord: FakeDiscord) => void): Promise<unknown> {
    const discord = await FakeDiscord.start();
    refuse(discord);
    const adapter: DiscordAdapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, queue: queueServing(harness.store.kv, harness.logger, () => adapter), kv: harness.store.kv, logger: harness.logger });
    try {
      return await adapter.start().then(
        () => 'started',
        (error: unknown) => error,
      );
    } finally {
      await adapter.stop();
      await discord.close();
    }
  }

  it('says which switch to turn on when the Message Content intent is not enabled (close code 4014)', async () => {
    const error = await startAgainst((discord) => (discord.identifyCloseCode = 4014));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'Discord refused the Message Content intent: in the developer portal, under Bot → Privileged Gateway Intents, turn on Message Content Intent',
    );
  });

  it('says to set DISCORD_TOKEN again when Discord refuses the token, on REST or on the gateway (4004)', async () => {
    const expected = 'Discord refused DISCORD_TOKEN: copy the bot token again (developer portal → Bot → Reset Token) and set DISCORD_TOKEN';
    for (const refuse of [(discord: FakeDiscord) => (discord.tokenRefused = true), (discord: FakeDiscord) => (discord.identifyCloseCode = 4004)]) {
      const error = await startAgainst(refuse);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(expected);
    }
  });
});
