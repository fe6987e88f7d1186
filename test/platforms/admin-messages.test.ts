import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminMessages } from '../../src/platforms/admin-messages.js';
import { STRANGER, USER } from '../fakes/fake-discord.js';
import { USER_ID } from '../fakes/fake-slack.js';
import { capturingLogger } from '../helpers/logger.js';
import { startDiscordBot, type DiscordBot } from './discord/discord-bot.js';
import { startSlackBot, type SlackBot } from './slack/slack-bot.js';

const LINK = 'The MCP server "tracker" needs authorization. Open this link and approve: https://auth.example/authorize?state=abc';

describe('messages for the operator (ADMIN_USERS), through the real Discord and Slack adapters', () => {
  let discord: DiscordBot;
  let slack: SlackBot;

  beforeAll(async () => {
    [discord, slack] = await Promise.all([startDiscordBot({ script: () => 'unused' }), startSlackBot({ mode: 'socket', script: () => 'unused' })]);
  });
  afterAll(async () => {
    await Promise.all([discord?.close(), slack?.close()]);
  });

  it('waits for the platforms, then DMs the first admin one of them can reach', async () => {
    const { logger, logs } = capturingLogger();
    const admins = new AdminMessages([STRANGER.id, USER_ID, USER.id], logger);
    discord.discord.failNext('POST', new RegExp(`^/channels/${discord.discord.dmChannelOf(STRANGER.id)}/messages$`), 403, { message: 'Cannot send messages to this user', code: 50007 });
    admins.send(LINK);
    admins.platformsStarted([discord.adapter, slack.adapter]);

    const sent = await logs.waitFor((line) => line.msg === 'admin message sent');
    expect(sent).toMatchObject({ admin: USER_ID, platform: 'slack' });
    expect((await slack.slack.waitForCall('chat.postMessage', (call) => call.args.channel === USER_ID)).args.text).toBe(LINK);
    // Mallory's DMs are closed and a Slack id is no Discord user: nothing reached anyone else.
    expect(discord.discord.rest.items.filter((call) => call.method === 'POST' && call.path.endsWith('/messages') && call.status < 300)).toEqual([]);
    expect(slack.slack.callsOf('chat.postMessage').filter((call) => call.outcome === 'ok')).toHaveLength(1);
  });

  it('says so in the log when no admin can be reached, keeping the link there', async () => {
    const { logger, logs } = capturingLogger();
    const admins = new AdminMessages(['nobody-anywhere'], logger);
    admins.platformsStarted([discord.adapter, slack.adapter]);
    admins.send(LINK);
    const warning = await logs.waitFor((line) => line.msg.startsWith('no admin in ADMIN_USERS could be reached'));
    expect(warning).toMatchObject({ admins: ['nobody-anywhere'] });
  });
});
