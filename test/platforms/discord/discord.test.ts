import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import { APPLICATION_ID, BOT, CHANNEL_ID, FakeDiscord, GUILD_ID, OTHER_USER, type RestCall } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';

const lastContent = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '');
const isFeedback = (request: LlmRequest) => lastContent(request).startsWith('[tool] ');
const contentOf = (call: RestCall) => String(call.body?.content ?? '');
const fencesBalanced = (text: string) => (text.match(/^```/gm) ?? []).length % 2 === 0;

/** The model the tests talk to: adds with the fixture's tool when asked, else echoes the question. */
function script(request: LlmRequest) {
  if (isFeedback(request)) return `The sum is ${lastContent(request).split('\n')[1]}.`;
  const question = request.lastUserText;
  if (question.includes('add')) return { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } };
  if (question.includes('long answer')) return `Here it is:\n\n\`\`\`js\n${Array.from({ length: 150 }, (_, index) => `console.log('line ${index} of the long answer');`).join('\n')}\n\`\`\`\n\nThat was long.`;
  if (question.includes('picture')) return isFeedback(request) ? 'Here you go.' : { toolCall: { tool: 'image', arguments: {} } };
  return `You said: ${question}`;
}

describe('Discord adapter against a fake Discord', () => {
  let harness: EngineHarness;
  let discord: FakeDiscord;
  let adapter: DiscordAdapter;

  beforeAll(async () => {
    harness = await startEngineHarness({ script });
    discord = await FakeDiscord.start();
    adapter = new DiscordAdapter({ settings: { token: 'test-token', apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, logger: harness.logger });
    await adapter.start();
  });
  afterAll(async () => {
    await adapter?.stop();
    await discord?.close();
    await harness?.close();
  });
  beforeEach(() => {
    harness.llm.setScript(script);
    harness.llm.requests.clear();
  });

  /** Waits until something the bot posted or edited into `channelId` contains `text`. */
  const answerIn = (channelId: string, text: string) =>
    discord.rest.waitFor((call) => (call.method === 'POST' || call.method === 'PATCH') && call.path.startsWith(`/channels/${channelId}/messages`) && contentOf(call).includes(text), { what: `"${text}" in ${channelId}` });

  it('registers /tools and /reset globally with one bulk overwrite', async () => {
    const registration = await discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/commands$`));
    expect(registration.body.map((command: { name: string }) => command.name)).toEqual(['tools', 'reset']);
    expect(registration.body[0].options[0]).toMatchObject({ name: 'server', autocomplete: true, required: false });
    expect(discord.calls('PUT', /commands$/)).toHaveLength(1);
  });

  it('answers a mention in a new thread, using the tool, with typing and progress shown', async () => {
    const messageId = discord.guildMessage('please add 2 and 3');
    const created = await discord.waitForCall('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/${messageId}/threads$`));
    expect(created.body.name).toBe('please add 2 and 3');
    const thread = messageId;

    const progress = await answerIn(thread, 'Using `add` on `fixture`…');
    expect(progress.method).toBe('POST');
    const answer = await answerIn(thread, 'The sum is 5.');
    // The progress message becomes the answer.
    expect(answer.method).toBe('PATCH');
    expect(discord.calls('POST', new RegExp(`^/channels/${thread}/typing$`)).length).toBeGreaterThanOrEqual(1);
    expect(harness.llm.requests.items.some((request) => lastContent(request) === '[tool] Result of add:\n5')).toBe(true);
    for (const call of discord.rest.filter((c) => c.path.startsWith(`/channels/${thread}/messages`))) expect(call.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('treats a follow-up in its thread as for the bot, with the thread history, without a mention', async () => {
    const thread = discord.guildMessage('remember the word banana');
    await answerIn(thread, 'You said: remember the word banana');
    discord.guildMessage('what was the word?', { mention: false, channelId: thread });
    await answerIn(thread, 'You said: what was the word?');
    const followUp = harness.llm.requests.items.at(-1)!;
    expect(followUp.messages.map((message) => message.content)).toContain('remember the word banana');
  });

  it('answers DMs, one conversation per DM channel', async () => {
    discord.directMessage('hello in private', '1000000000000000030');
    await answerIn('1000000000000000030', 'You said: hello in private');
    discord.directMessage('and again', '1000000000000000030');
    await answerIn('1000000000000000030', 'You said: and again');
    expect(harness.llm.requests.items.at(-1)!.messages.map((message) => message.content)).toContain('hello in private');
  });

  it('ignores bots, webhooks, its own messages, system messages and unmentioned chatter', async () => {
    const ignored = [
      discord.guildMessage('from another bot', { author: { ...OTHER_USER, bot: true } }),
      discord.guildMessage('from a webhook', { webhookId: '1000000000000000099' }),
      discord.guildMessage('my own echo', { author: { ...BOT } }),
      discord.guildMessage('someone pinned a message', { type: 6 }),
      discord.guildMessage('just chatting', { mention: false }),
    ];
    discord.directMessage('the one to answer', '1000000000000000031');
    await answerIn('1000000000000000031', 'You said: the one to answer');
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['the one to answer']);
    expect(discord.rest.filter((call) => ignored.some((id) => call.path.includes(id)))).toEqual([]);
  });

  it('replaces other mentions with readable names and drops its own', async () => {
    discord.guildMessage(`ask <@${OTHER_USER.id}> and <@&1000000000000000005> in <#${CHANNEL_ID}>`);
    await harness.llm.requests.waitFor(() => true, { what: 'an LLM request' });
    expect(harness.llm.requests.items[0]?.lastUserText).toBe('ask @Grace and @engineers in #general');
  });

  it('replies to the message when a thread cannot be started (160004)', async () => {
    discord.failNext('POST', /\/threads$/, 400, { code: 160004, message: 'A thread has already been created for this message' });
    const messageId = discord.guildMessage('no thread for this one');
    const reply = await answerIn(CHANNEL_ID, 'You said: no thread for this one');
    expect(reply.body.message_reference).toMatchObject({ message_id: messageId });
    expect(reply.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it('splits a long answer at 2,000 characters without breaking the code block', async () => {
    const thread = discord.guildMessage('give me a long answer');
    await answerIn(thread, 'That was long.');
    const pieces = discord.rest.filter((call) => call.path.startsWith(`/channels/${thread}/messages`) && call.method === 'POST').map(contentOf);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2000);
      expect(fencesBalanced(piece)).toBe(true);
    }
    expect(pieces.join('\n')).toContain("console.log('line 149 of the long answer');");
  });

  it('sends tool images as file attachments', async () => {
    const thread = discord.guildMessage('show me a picture');
    const upload = await discord.waitForCall('POST', new RegExp(`^/channels/${thread}/messages$`), (call) => call.files.length > 0);
    expect(upload.files).toEqual(['image-1.png']);
  });

  it('tells the user in the thread when the LLM fails', async () => {
    harness.llm.setScript(() => ({ status: 401, body: '{"error":{"message":"bad key"}}' }));
    const thread = discord.guildMessage('this will fail');
    await answerIn(thread, 'rejected my credentials');
  });

  it('keeps working after Discord refuses a post (403)', async () => {
    discord.failNext('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/\\d+/threads$`), 403, { code: 50013, message: 'Missing Permissions' });
    discord.failNext('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages$`), 403, { code: 50013, message: 'Missing Permissions' });
    discord.guildMessage('nowhere to answer');
    await harness.llm.requests.waitFor((request) => request.lastUserText === 'nowhere to answer');
    discord.directMessage('still alive?', '1000000000000000032');
    await answerIn('1000000000000000032', 'You said: still alive?');
  });

  it('waits out a 429 from Discord and then posts', async () => {
    discord.failNext('POST', /^\/channels\/\d+\/messages$/, 429, { message: 'You are being rate limited.', retry_after: 0.2, global: false }, { headers: { 'retry-after': '0.2', 'x-ratelimit-scope': 'user' } });
    discord.directMessage('rate limited once', '1000000000000000033');
    // The fake records the refused attempt too; discord.js waits out the 429 and sends it again.
    const [refused, retried] = await discord.rest.waitForCount((call) => call.method === 'POST' && call.path === '/channels/1000000000000000033/messages', 2);
    expect(contentOf(retried!)).toBe('You said: rate limited once');
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(150);
  });

  it('lists every fixture tool in /tools, deferred then edited, ephemeral', async () => {
    const { id, token } = discord.interaction('tools');
    const deferred = await discord.waitForCall('POST', new RegExp(`^/interactions/${id}/${token}/callback$`));
    expect(deferred.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const edited = await discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${token}/messages/(@|%40)original$`));
    const text = JSON.stringify(edited.body.embeds);
    expect(edited.body.embeds[0].title).toBe('fixture (ready)');
    for (const tool of harness.pool.tools()) expect(text).toContain(`**${tool.name}**`);
  });

  it('filters /tools by server and autocompletes server names', async () => {
    const unknown = discord.interaction('tools', { options: [{ name: 'server', type: 3, value: 'nope' }] });
    const edited = await discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${unknown.token}/messages`));
    expect(edited.body.content).toBe('No MCP server is named `nope`.');

    const complete = discord.interaction('tools', { type: 4, options: [{ name: 'server', type: 3, value: 'fix', focused: true }] });
    const choices = await discord.waitForCall('POST', new RegExp(`^/interactions/${complete.id}/${complete.token}/callback$`));
    expect(choices.body).toEqual({ type: 8, data: { choices: [{ name: 'fixture', value: 'fixture' }] } });
  });

  it('forgets a thread on /reset', async () => {
    const thread = discord.guildMessage('the secret is 42');
    await answerIn(thread, 'You said: the secret is 42');
    const { token } = discord.interaction('reset', { channelId: thread });
    const confirmation = await discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${token}/messages`));
    expect(confirmation.body.content).toMatch(/forgotten/);
    harness.llm.requests.clear();
    discord.guildMessage('what is the secret?', { mention: false, channelId: thread });
    await answerIn(thread, 'You said: what is the secret?');
    expect(harness.llm.requests.items[0]!.messages.map((message) => message.content)).not.toContain('the secret is 42');
  });

  it('explains /reset outside a thread or DM', async () => {
    const { token } = discord.interaction('reset');
    const confirmation = await discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${token}/messages`));
    expect(confirmation.body.content).toMatch(/inside a thread/);
  });

  it('edits the progress message in place, at most once a second', async () => {
    const steps = [1, 2, 3, 4].map(() => ({ toolCall: { tool: 'slow', arguments: { ms: 400 } } }));
    harness.llm.setScript((request) => steps[request.index] ?? 'four steps done');
    const thread = discord.guildMessage('do four slow steps');
    await answerIn(thread, 'four steps done');
    const calls = discord.rest.filter((call) => call.path.startsWith(`/channels/${thread}/messages`));
    expect(calls.filter((call) => call.method === 'POST')).toHaveLength(1);
    const progressEdits = calls.filter((call) => call.method === 'PATCH' && contentOf(call).startsWith('Using'));
    expect(progressEdits.length).toBeGreaterThanOrEqual(1);
    const updates = [calls[0]!, ...progressEdits];
    for (let index = 1; index < updates.length; index += 1) expect(updates[index]!.at - updates[index - 1]!.at).toBeGreaterThanOrEqual(950);
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', body: { content: 'four steps done' } });
  });
});

describe('Discord adapter shutting down', () => {
  it('finishes the turn in flight before disconnecting', async () => {
    const harness = await startEngineHarness({ script: (request) => (isFeedback(request) ? 'finished the slow work' : { toolCall: { tool: 'slow', arguments: { ms: 600 } } }) });
    const discord = await FakeDiscord.start();
    const adapter = new DiscordAdapter({ settings: { token: 'test-token', apiUrl: discord.apiUrl, guildId: undefined }, engine: harness.engine, logger: harness.logger });
    try {
      await adapter.start();
      discord.directMessage('do something slow', '1000000000000000040');
      await discord.waitForCall('POST', /^\/channels\/1000000000000000040\/messages$/, (call) => contentOf(call).startsWith('Using'));
      await adapter.stop();
      expect(discord.calls('PATCH', /^\/channels\/1000000000000000040\/messages\/\d+$/).map(contentOf)).toContain('finished the slow work');
    } finally {
      await discord.close();
      await harness.close();
    }
  });
});

describe('Discord adapter in development mode', () => {
  it('registers commands in the configured guild only', async () => {
    const harness = await startEngineHarness({ servers: [] });
    const discord = await FakeDiscord.start();
    const adapter = new DiscordAdapter({ settings: { token: 'test-token', apiUrl: discord.apiUrl, guildId: GUILD_ID }, engine: harness.engine, logger: harness.logger });
    try {
      await adapter.start();
      await discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/guilds/${GUILD_ID}/commands$`));
      expect(discord.calls('PUT', new RegExp(`^/applications/${APPLICATION_ID}/commands$`))).toHaveLength(0);
    } finally {
      await adapter.stop();
      await discord.close();
      await harness.close();
    }
  });
});
