import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import { APPLICATION_ID, GUILD_ID, type FakeDiscord } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { fixtureServerConfig } from '../../fixtures/index.js';
import { testLogger } from '../../helpers/logger.js';
import { answerIn, expectNoPings, startDiscordBot, TOKEN, type DiscordBot } from './discord-bot.js';

const repeat = (request: LlmRequest) => `You said: ${request.lastUserText}`;
const contentsSent = (request: LlmRequest) => request.messages.map((message) => message.content);

describe('Discord slash commands and shutdown, with two MCP servers and commands in one guild', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  let callsBefore = 0;

  beforeAll(async () => {
    bot = await startDiscordBot({ script: repeat, servers: [fixtureServerConfig('fixture'), fixtureServerConfig('notes')], guildId: GUILD_ID });
    discord = bot.discord;
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    bot.harness.llm.setScript(repeat);
    bot.harness.llm.requests.clear();
    callsBefore = discord.rest.items.length;
  });
  afterEach(() => expectNoPings(discord.rest.items.slice(callsBefore)));

  const deferral = (interaction: { id: string; token: string }) => discord.waitForCall('POST', new RegExp(`^/interactions/${interaction.id}/${interaction.token}/callback$`));
  const editedReply = (interaction: { token: string }) => discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${interaction.token}/messages/(@|%40)original$`));
  const serverOption = (value: string, focused = false) => [{ name: 'server', type: 3, value, ...(focused ? { focused } : {}) }];

  it('registers the commands in the configured guild only, with one bulk overwrite', async () => {
    const registration = await discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands$`));
    expect(registration.body.map((command: { name: string }) => command.name)).toEqual(['ask', 'tools', 'connect', 'disconnect', 'reset', 'prompt', 'reload']);
    expect(discord.calls('PUT', /commands$/)).toHaveLength(1);
  });

  it('/tools answers privately at once, then lists every tool of every server', async () => {
    const interaction = discord.interaction('tools');
    expect((await deferral(interaction)).body).toMatchObject({ type: 5, data: { flags: 64 } });
    const embeds: { title: string; description: string }[] = (await editedReply(interaction)).body.embeds;
    expect(embeds.map((embed) => embed.title)).toEqual(['fixture (ready)', 'notes (ready)']);
    const listed = embeds.map((embed) => embed.description).join('\n');
    for (const tool of bot.harness.pool.tools()) expect(listed).toContain(`**${tool.name}**`);
    expect(listed).toContain('Echoes the text back.');
    expect(listed).not.toContain('Second line of the description.');
  });

  it('/tools server:<name> lists that server alone, and says when there is no such server', async () => {
    const notes = discord.interaction('tools', { options: serverOption('notes') });
    const embeds: { title: string }[] = (await editedReply(notes)).body.embeds;
    expect(embeds.map((embed) => embed.title)).toEqual(['notes (ready)']);

    const unknown = discord.interaction('tools', { options: serverOption('nope') });
    expect((await editedReply(unknown)).body.content).toBe('No MCP server is named `nope`.');
  });

  it('autocompletes server names for /tools server', async () => {
    const typed = discord.interaction('tools', { type: 4, options: serverOption('NO', true) });
    expect((await deferral(typed)).body).toEqual({ type: 8, data: { choices: [{ name: 'notes', value: 'notes' }] } });
    const empty = discord.interaction('tools', { type: 4, options: serverOption('', true) });
    expect((await deferral(empty)).body.data.choices.map((choice: { name: string }) => choice.name)).toEqual(['fixture', 'notes']);
  });

  it("/reset in a thread forgets that thread's history", async () => {
    const thread = discord.guildMessage('the secret is 42');
    await answerIn(discord, thread, 'You said: the secret is 42');
    const reset = discord.interaction('reset', { channelId: thread });
    expect((await deferral(reset)).body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect((await editedReply(reset)).body.content).toMatch(/forgotten/);

    bot.harness.llm.requests.clear();
    discord.guildMessage('what is the secret?', { mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'You said: what is the secret?');
    expect(contentsSent(bot.harness.llm.requests.items[0]!)).not.toContain('the secret is 42');
  });

  it('/reset in a DM forgets that DM', async () => {
    const dm = '1000000000000000040';
    discord.directMessage('my name is Ada', dm);
    await answerIn(discord, dm, 'You said: my name is Ada');
    const reset = discord.interaction('reset', { guild: false, channelId: dm });
    expect((await editedReply(reset)).body.content).toMatch(/forgotten/);

    bot.harness.llm.requests.clear();
    discord.directMessage('what is my name?', dm);
    await answerIn(discord, dm, 'You said: what is my name?');
    expect(contentsSent(bot.harness.llm.requests.items[0]!)).not.toContain('my name is Ada');
  });

  it('/reset in a plain channel explains where it works', async () => {
    const reset = discord.interaction('reset');
    expect((await editedReply(reset)).body.content).toMatch(/inside a thread/);
  });

  it('after a restart, still takes messages in the threads it started as its own', async () => {
    const thread = discord.guildMessage('before the restart');
    await answerIn(discord, thread, 'You said: before the restart');
    await bot.adapter.stop();
    bot.adapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: GUILD_ID }, engine: bot.harness.engine, queue: bot.queue, kv: bot.harness.store.kv, logger: testLogger() });
    await bot.adapter.start();

    discord.guildMessage('after the restart', { mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'You said: after the restart');
    expect(contentsSent(bot.harness.llm.requests.items.at(-1)!)).toContain('[Ada] before the restart');
  });

  it('on stop, finishes the turn in flight, says it is restarting to a message queued behind it, takes no new message, then disconnects', async () => {
    bot.harness.llm.setScript(() => ({ delayMs: 500, answer: 'finished while stopping' }));
    const dm = '1000000000000000041';
    discord.directMessage('a slow question', dm);
    await bot.harness.llm.requests.waitFor((request) => request.lastUserText === 'a slow question');
    discord.directMessage('queued behind it', dm);
    await vi.waitFor(async () => expect((await bot.queue.counts()).waiting).toBe(1));
    const earlierDisconnects = [...discord.disconnects.items];

    const stopped = bot.adapter.stop();
    discord.directMessage('one more thing', dm);
    await stopped;

    const answered = await answerIn(discord, dm, 'finished while stopping');
    const told = await answerIn(discord, dm, "I'm restarting right now. Please ask again in a minute.");
    const disconnected = await discord.disconnects.waitFor((event) => !earlierDisconnects.includes(event), { what: 'the bot leaving the gateway' });
    expect(answered.at).toBeLessThanOrEqual(told.at);
    expect(told.at).toBeLessThanOrEqual(disconnected.at);
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['a slow question']);
  });
});
