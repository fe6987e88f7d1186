import { describe, expect, it } from 'vitest';
import { APPLICATION_ID, CHANNEL_ID, FOREIGN_GUILD_ID, GUILD_ID, type FakeDiscord } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { answerIn, contentOf, oneBotPerFile, type DiscordBot } from './discord-bot.js';

const contentsSent = (request: LlmRequest) => request.messages.map((message) => String(message.content));
const LONG = Array.from({ length: 60 }, (_, index) => `Paragraph ${index}: ${'words that go on '.repeat(4).trim()}.`).join('\n\n');

/** Repeats the question, or answers at length when asked to. */
function script(request: LlmRequest) {
  if (request.lastUserText.includes('at great length')) return Array.from({ length: 5 }, () => LONG).join('\n\n');
  return request.lastUserText.includes('at length') ? LONG : `You said: ${request.lastUserText}`;
}

describe('Where people reach the bot on Discord: forum posts, replies, /ask anywhere, attachments', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  const since = oneBotPerFile({ script }, (started) => {
    bot = started;
    discord = started.discord;
  });

  const lastRequest = () => bot.harness.llm.requests.items.at(-1)!;
  const webhook = (token: string) => new RegExp(`^/webhooks/${APPLICATION_ID}/${token}(/messages/.+)?$`);
  /** The id of the bot's first message in `channelId` since the test began. */
  const firstAnswerIn = (channelId: string) => since().find((call) => call.method === 'POST' && call.path === `/channels/${channelId}/messages`)!.response.id as string;

  it('answers a mention in a forum post in that post, and takes later messages there without a mention', async () => {
    const post = discord.forumPost('Build fails', 'why does my build fail?');
    await answerIn(discord, post, 'You said: why does my build fail?');
    expect(discord.calls('POST', /\/threads$/).filter((call) => call.at >= since()[0]!.at)).toEqual([]);

    discord.guildMessage('it says exit code 2', { mention: 'none', channelId: post });
    await answerIn(discord, post, 'You said: it says exit code 2');
    expect(contentsSent(lastRequest())).toContain('[Ada] why does my build fail?');
  });

  it('leaves a forum post alone until it is mentioned there', async () => {
    const post = discord.forumPost('Chatter', 'people talking', { mention: false });
    discord.guildMessage('now for the bot', { channelId: post });
    await answerIn(discord, post, 'You said: now for the bot');
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['now for the bot']);
  });

  it('continues the conversation of an answer someone replies to, with or without a ping', async () => {
    // No thread on this message, so the answer is a reply in the channel itself.
    discord.failNext('POST', /\/threads$/, 400, { code: 160004, message: 'A thread has already been created for this message' });
    const question = discord.guildMessage('remember the word banana');
    await answerIn(discord, CHANNEL_ID, 'You said: remember the word banana');
    await bot.harness.engine.drain(10_000);
    const answer = firstAnswerIn(CHANNEL_ID);

    const noPing = discord.guildMessage('what was the word?', { mention: 'none', replyTo: answer });
    await answerIn(discord, CHANNEL_ID, 'You said: what was the word?');
    expect(lastRequest().messages.map((message) => message.content)).toContain('[Ada] remember the word banana');
    const reply = discord.calls('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages$`)).find((call) => call.body.message_reference?.message_id === noPing);
    expect(reply).toBeDefined();

    const pinged = discord.guildMessage('and again?', { mention: 'none', replyTo: answer, ping: true });
    await answerIn(discord, CHANNEL_ID, 'You said: and again?');
    expect(contentsSent(lastRequest())).toContain('[Ada] what was the word?');
    // A ping in a reply is not a new question: no thread is started on it.
    expect(discord.calls('POST', new RegExp(`/messages/${pinged}/threads$`))).toEqual([]);
    const history = await bot.harness.store.history.get(`discord:${GUILD_ID}:${CHANNEL_ID}:${question}`);
    expect(history.filter((message) => message.role === 'user').map((message) => message.content)).toEqual(['[Ada] remember the word banana', '[Ada] what was the word?', '[Ada] and again?']);
  });

  it('continues a thread conversation when someone replies to its answer in a thread it did not start', async () => {
    const post = discord.forumPost('Replies', 'first words here');
    await answerIn(discord, post, 'You said: first words here');
    await bot.harness.engine.drain(10_000);
    discord.guildMessage('a reply to that', { mention: 'none', channelId: post, replyTo: firstAnswerIn(post) });
    await answerIn(discord, post, 'You said: a reply to that');
    expect(contentsSent(lastRequest())).toContain('[Ada] first words here');
  });

  it('/ask in its DM: deferred at once, answered in the interaction, the DM conversation continued', async () => {
    const dm = '1000000000000000050';
    discord.directMessage('my name is Ada', dm);
    await answerIn(discord, dm, 'You said: my name is Ada');
    const asked = discord.interaction('ask', { guild: false, channelId: dm, context: 1, options: [{ name: 'question', type: 3, value: 'what is my name?' }] });
    const deferral = await discord.waitForCall('POST', new RegExp(`^/interactions/${asked.id}/${asked.token}/callback$`));
    // Public, unlike the other commands: the answer is for the channel.
    expect(deferral.body.type).toBe(5);
    expect(deferral.body.data.flags ?? 0).toBe(0);
    await discord.waitForCall('PATCH', webhook(asked.token), (call) => contentOf(call) === 'You said: what is my name?');
    expect(contentsSent(lastRequest())).toContain('my name is Ada');
  });

  it('/ask from a user install where the bot is not a member: everything through the interaction, long answers as follow-ups', async () => {
    const asked = discord.interaction('ask', { guildId: FOREIGN_GUILD_ID, channelId: '1000000000000000060', installedBy: 'user', options: [{ name: 'question', type: 3, value: 'answer at length' }] });
    await discord.waitForCall('POST', new RegExp(`^/interactions/${asked.id}/`));
    await discord.rest.waitFor(() => discord.calls('POST', webhook(asked.token)).length >= 1, { what: 'a follow-up' });
    await bot.harness.engine.drain(10_000);

    const original = discord.calls('PATCH', webhook(asked.token)).find((call) => /(@|%40)original$/.test(call.path))!;
    const followUps = discord.calls('POST', webhook(asked.token));
    const shown = [original.response.id, ...followUps.map((call) => call.response.id)].map((id: string) => discord.messageContent(id));
    for (const piece of shown) expect(piece.length).toBeLessThanOrEqual(2_000);
    expect(shown.join('\n\n')).toBe(LONG);
    expect(since().filter((call) => call.path.startsWith('/channels/') && call.method !== 'GET')).toEqual([]);
    expect(bot.logs.items.find((line) => line.msg === '/ask' && line.threadKey === `discord:${FOREIGN_GUILD_ID}:1000000000000000060:${asked.id}`)).toMatchObject({ userInstall: true });
  });

  it("/ask from a user install posts at most the reply and 5 follow-ups (Discord's limit there), the last saying the answer goes on", async () => {
    const asked = discord.interaction('ask', { guildId: FOREIGN_GUILD_ID, channelId: '1000000000000000061', installedBy: 'user', options: [{ name: 'question', type: 3, value: 'answer at great length' }] });
    await discord.waitForCall('POST', new RegExp(`^/interactions/${asked.id}/`));
    await discord.rest.waitFor(() => discord.calls('POST', webhook(asked.token)).length >= 1, { what: 'a follow-up' });
    await bot.harness.engine.drain(20_000);

    const followUps = discord.calls('POST', webhook(asked.token));
    expect(followUps).toHaveLength(5);
    expect(followUps.every((call) => call.status < 300)).toBe(true);
    const last = discord.messageContent(followUps.at(-1)!.response.id as string);
    expect(last.length).toBeLessThanOrEqual(2_000);
    expect(last).toContain('Discord lets me post no more messages here');
  });

  it('hands the model the files people attach', async () => {
    const dm = '1000000000000000051';
    discord.directMessage('what is in this file?', dm, undefined, [{ name: 'notes.txt', contentType: 'text/plain; charset=utf-8', data: Buffer.from('The launch code is 1234.') }]);
    await answerIn(discord, dm, 'You said:');
    expect(discord.downloads.items.map((download) => download.path)).toEqual([expect.stringMatching(/\/notes\.txt$/)]);
    const sent = JSON.stringify(lastRequest().messages.at(-1));
    expect(sent).toContain('notes.txt');
    expect(sent).toContain('The launch code is 1234.');
  });
});
