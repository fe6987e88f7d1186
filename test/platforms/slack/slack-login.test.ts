import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/index.js';
import { MODES, startSlackBot, type SlackBot } from './slack-bot.js';

describe.each(MODES)('Slack refusing a token at start-up in %s mode (real Bolt, fake Slack)', (mode) => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await startSlackBot({ mode, script: () => 'unused' });
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('names SLACK_BOT_TOKEN when Slack refuses the bot token', async () => {
    bot.slack.failNext('auth.test', 'invalid_auth');
    const error = await bot.startInstance().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe("Slack refused SLACK_BOT_TOKEN (invalid_auth): copy it again from the app's settings and set SLACK_BOT_TOKEN");
  });

  if (mode === 'socket') {
    it('names SLACK_APP_TOKEN when Slack refuses the app-level token', async () => {
      bot.slack.failNext('apps.connections.open', 'invalid_auth');
      const error = await bot.startInstance().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe("Slack refused SLACK_APP_TOKEN (invalid_auth): copy it again from the app's settings and set SLACK_APP_TOKEN");
    });
  }
});
