import { GatewayIntentBits } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ID, BOT, CHANNEL_ID, GUILD_ID, OTHER_USER, ROLE_ID, USER_THREAD_ID, type FakeDiscord } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { answerIn, contentOf, expectNoPings, startDiscordBot, TOKEN, type DiscordBot } from './discord-bot.js';

const lastContent = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '');
const isToolFeedback = (request: LlmRequest) => lastContent(request).startsWith('[tool] ');
const contentsSent = (request: LlmRequest) => request.messages.map((message) => message.content);
const fencesBalanced = (text: string) => (text.match(/^```/gm) ?? []).length % 2 === 0;

/** The model the tests talk to: uses the fixture's tools when asked to, else repeats the question. */
function script(request: LlmRequest) {
  const question = request.lastUserText;
  if (isToolFeedback(request)) return question.includes('picture') ? 'Here you go.' : `The sum is ${lastContent(request).split('\n')[1]}.`;
  if (question.includes('add')) return { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } };
  if (question.includes('picture')) return { toolCall: { tool: 'image', arguments: {} } };
  if (question.includes('long answer')) {
    const code = Array.from({ length: 150 }, (_, index) => `console.log('line ${index} of the long answer');`).join('\n');
    return `Here it is:\n\n\`\`\`js\n${code}\n\`\`\`\n\nThat was long.`;
  }
  return `You said: ${question}`;
}

describe('Discord conversations, real discord.js against a fake Discord', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  let callsBefore = 0;
  let logsBefore = 0;

  beforeAll(async () => {
    bot = await startDiscordBot({ script });
    discord = bot.discord;
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    bot.harness.llm.setScript(script);
    bot.harness.llm.requests.clear();
    callsBefore = discord.rest.items.length;
    logsBefore = bot.rawLogs.length;
  });
  afterEach(() => {
    expectNoPings(discord.rest.items.slice(callsBefore));
    expect(bot.rawLogs.slice(logsBefore).join('')).not.toContain(TOKEN);
  });

  const answer = (channelId: string, text: string) => answerIn(discord, channelId, text);
  const askedTexts = () => bot.harness.llm.requests.items.map((request) => request.lastUserText);

  it('connects with the intents it needs: guilds, guild messages, message content and DMs', async () => {
    const identify = await discord.gatewaySends.waitFor((send) => send.op === 2, { what: 'IDENTIFY' });
    expect(identify.d.intents).toBe(GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent | GatewayIntentBits.DirectMessages);
  });

  it('registers /ask, /tools, /reset and /prompt globally with one bulk overwrite at start-up, for guild and user installs, everywhere', async () => {
    const registration = await discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/commands$`));
    expect(registration.body.map((command: { name: string }) => command.name)).toEqual(['ask', 'tools', 'connect', 'disconnect', 'reset', 'prompt', 'reload']);
    expect(registration.body[0].options[0]).toMatchObject({ name: 'question', type: 3, required: true });
    expect(registration.body[1].options[0]).toMatchObject({ name: 'server', type: 3, autocomplete: true, required: false });
    for (const command of registration.body) expect(command).toMatchObject({ integration_types: [0, 1], contexts: [0, 1, 2] });
    expect(discord.calls('PUT', /commands$/)).toHaveLength(1);
  });

  it('answers a mention in a thread it starts on the message, having really called the tool', async () => {
    const messageId = discord.guildMessage('please add 2 and 3');
    const created = await discord.waitForCall('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/${messageId}/threads$`));
    expect(created.body.name).toBe('please add 2 and 3');
    const thread = messageId;

    const progress = await answer(thread, 'Using `add` on `fixture`…');
    expect(progress.method).toBe('POST');
    const final = await answer(thread, 'The sum is 5.');
    // The progress message becomes the answer.
    expect(final).toMatchObject({ method: 'PATCH', path: `/channels/${thread}/messages/${progress.response.id}` });
    expect(discord.calls('POST', new RegExp(`^/channels/${thread}/typing$`)).length).toBeGreaterThanOrEqual(1);
    expect(bot.harness.llm.requests.items.map(lastContent)).toContain('[tool] Result of add:\n5');
  });

  it("takes every later message in its thread as for it, without a mention, with that thread's history", async () => {
    const thread = discord.guildMessage('remember the word banana');
    await answer(thread, 'You said: remember the word banana');
    discord.guildMessage('what was the word?', { mention: 'none', channelId: thread });
    await answer(thread, 'You said: what was the word?');
    expect(contentsSent(bot.harness.llm.requests.items.at(-1)!)).toContain('[Ada] remember the word banana');
  });

  it('tells the model who wrote each message in a shared thread, by the name the guild shows', async () => {
    const thread = discord.guildMessage('I am first');
    await answer(thread, 'You said: I am first');
    discord.guildMessage('and I am second', { mention: 'none', channelId: thread, author: OTHER_USER, nick: 'Admiral Grace' });
    await answer(thread, 'You said: and I am second');
    const request = bot.harness.llm.requests.items.at(-1)!;
    expect(request.lastSpeaker).toBe('Admiral Grace');
    expect(contentsSent(request)).toEqual(expect.arrayContaining(['[Ada] I am first', '[Admiral Grace] and I am second']));
  });

  it('answers a mention of its role as it answers a mention of its user', async () => {
    const thread = discord.guildMessage('hello through the role', { mention: 'role' });
    await answer(thread, 'You said: hello through the role');
  });

  it("answers in a person's thread only when mentioned there", async () => {
    discord.guildMessage('people talking among themselves', { mention: 'none', channelId: USER_THREAD_ID });
    discord.guildMessage('now a question for the bot', { channelId: USER_THREAD_ID });
    await answer(USER_THREAD_ID, 'You said: now a question for the bot');
    expect(askedTexts()).toEqual(['now a question for the bot']);
    expect(discord.calls('POST', /\/threads$/).filter((call) => call.at >= bot.harness.llm.requests.items[0]!.receivedAt)).toEqual([]);
  });

  it('knows a thread it started before a restart, asking Discord who owns it', async () => {
    const thread = discord.unannouncedBotThread();
    discord.guildMessage('back to this old question', { mention: 'none', channelId: thread });
    await answer(thread, 'You said: back to this old question');
    expect(discord.calls('GET', new RegExp(`^/channels/${thread}$`))).toHaveLength(1);
  });

  it('answers DMs, one conversation per DM channel', async () => {
    const dm = '1000000000000000030';
    discord.directMessage('hello in private', dm);
    await answer(dm, 'You said: hello in private');
    discord.directMessage('and again', dm);
    await answer(dm, 'You said: and again');
    expect(contentsSent(bot.harness.llm.requests.items.at(-1)!)).toContain('hello in private');
    discord.directMessage('a stranger in another DM', '1000000000000000033', OTHER_USER);
    await answer('1000000000000000033', 'You said: a stranger in another DM');
    expect(contentsSent(bot.harness.llm.requests.items.at(-1)!)).not.toContain('hello in private');
  });

  it('ignores other bots, webhooks, system messages, its own messages and channel chatter without a mention', async () => {
    const ignored = [
      discord.guildMessage('from another bot', { author: { ...OTHER_USER, bot: true } }),
      discord.guildMessage('from a webhook', { webhookId: '1000000000000000099' }),
      discord.guildMessage('my own words', { author: BOT }),
      discord.guildMessage('someone pinned a message', { type: 6 }),
      discord.guildMessage('just chatting', { mention: 'none' }),
      discord.guildMessage('   '),
    ];
    const dm = '1000000000000000031';
    discord.directMessage('the one to answer', dm);
    await answer(dm, 'You said: the one to answer');
    // The answer itself comes back on the gateway too, as Discord sends a bot its own messages.
    expect(askedTexts()).toEqual(['the one to answer']);
    expect(discord.rest.filter((call) => ignored.some((id) => call.path.includes(id)))).toEqual([]);
  });

  it('hands the model the question with its own mention dropped and other mentions as names', async () => {
    discord.guildMessage(`ask <@${OTHER_USER.id}> and <@&${ROLE_ID}> in <#${CHANNEL_ID}>`);
    await bot.harness.llm.requests.waitFor(() => true, { what: 'an LLM request' });
    expect(askedTexts()).toEqual(['ask @Grace and @engineers in #general']);
  });

  it('replies to the message when it already has a thread (160004), and logs why', async () => {
    discord.failNext('POST', /\/threads$/, 400, { code: 160004, message: 'A thread has already been created for this message' });
    const messageId = discord.guildMessage('no thread for this one');
    await answer(CHANNEL_ID, 'You said: no thread for this one');
    const reply = discord.calls('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages$`)).find((call) => call.body.message_reference?.message_id === messageId);
    expect(discord.messageContent(reply!.response.id)).toBe('You said: no thread for this one');
    expect(reply!.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
    const logged = await bot.logs.waitFor((line) => line.msg === 'could not start a thread; replying to the message instead');
    expect(logged).toMatchObject({ threadKey: `discord:${GUILD_ID}:${CHANNEL_ID}:${messageId}`, err: { code: 160004 } });
  });

  it('splits a long answer into pieces of at most 2,000 characters without breaking its code block', async () => {
    const thread = discord.guildMessage('give me a long answer');
    await answer(thread, 'That was long.');
    await bot.harness.engine.drain(10_000);
    const pieces = discord.rest.filter((call) => call.path === `/channels/${thread}/messages` && call.method === 'POST').map((call) => discord.messageContent(call.response.id));
    expect(pieces.length).toBeGreaterThanOrEqual(4);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2000);
      expect(fencesBalanced(piece)).toBe(true);
    }
    const code = pieces.join('\n').split('\n').filter((line) => line.startsWith('console.log'));
    expect(code).toHaveLength(150);
    expect(pieces.slice(1, -1).every((piece) => piece.startsWith('```js'))).toBe(true);
  });

  it('attaches images from tools as files after the text', async () => {
    const thread = discord.guildMessage('show me a picture');
    const upload = await discord.waitForCall('POST', new RegExp(`^/channels/${thread}/messages$`), (call) => call.files.length > 0);
    expect(upload.files).toEqual(['image-1.png']);
    await answer(thread, 'Here you go.');
  });

  it('says in the thread when the LLM rejects its key (401)', async () => {
    bot.harness.llm.setScript(() => ({ status: 401, body: '{"error":{"message":"bad key"}}' }));
    const thread = discord.guildMessage('this will fail');
    await answer(thread, 'The language model rejected my credentials');
  });

  it('says in the thread when the LLM keeps failing (500)', async () => {
    bot.harness.llm.setScript(() => ({ status: 500, headers: { 'retry-after-ms': '1' } }));
    const thread = discord.guildMessage('this will fail too');
    await answer(thread, 'The language model had an error');
    expect(bot.harness.llm.requests.items.length).toBeGreaterThan(1);
  });

  it('logs an answer Discord refuses to take (403) and goes on answering others', async () => {
    // Refused while it streams and once more at the end.
    discord.failNext('POST', /^\/channels\/\d+\/messages$/, 403, { code: 50013, message: 'Missing Permissions' }, { times: 2 });
    const thread = discord.guildMessage('nowhere to answer');
    const logged = await bot.logs.waitFor((line) => line.msg === 'the answer could not be posted to Discord');
    expect(logged).toMatchObject({ threadKey: `discord:${GUILD_ID}:${CHANNEL_ID}:${thread}`, err: { status: 403, code: 50013 } });
    expect(logged.hint).toMatch(/Send Messages in Threads/);

    discord.directMessage('still there?', '1000000000000000032');
    await answer('1000000000000000032', 'You said: still there?');
  });

  it('waits out a rate limit (429 with retry-after) and then posts the answer', async () => {
    discord.failNext('POST', /^\/channels\/\d+\/messages$/, 429, { message: 'You are being rate limited.', retry_after: 0.05, global: false }, { headers: { 'retry-after': '0.05' } });
    const thread = discord.guildMessage('busy channel');
    await answer(thread, 'You said: busy channel');
    expect(discord.calls('POST', new RegExp(`^/channels/${thread}/messages$`))).toHaveLength(2);
  });

  it('lists the tool steps in one message, edited at most once a second, that becomes the answer', async () => {
    const steps = [1, 2, 3, 4].map(() => ({ toolCall: { tool: 'slow', arguments: { ms: 400 } } }));
    bot.harness.llm.setScript((request) => steps[request.index] ?? 'four steps done');
    const thread = discord.guildMessage('do four slow steps');
    await answer(thread, 'four steps done');
    await bot.harness.engine.drain(10_000);
    const writes = discord.rest.filter((call) => call.path.startsWith(`/channels/${thread}/messages`) && call.method !== 'GET');
    expect(writes.filter((call) => call.method === 'POST')).toHaveLength(1);
    expect(contentOf(writes[0]!)).toBe('-# Using `slow` on `fixture`…');
    expect(writes.some((call) => contentOf(call).includes('-# ✓ `slow` on `fixture`'))).toBe(true);
    for (let index = 1; index < writes.length; index += 1) expect(writes[index]!.at - writes[index - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(writes.at(-1)).toMatchObject({ method: 'PATCH', path: `/channels/${thread}/messages/${writes[0]!.response.id}`, body: { content: 'four steps done' } });
  });
});
