import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_DENIED_MESSAGE, NOT_YOUR_QUESTION_TEXT } from '../../../src/engine/index.js';
import { APPLICATION_ID, OTHER_USER, ROLE_ID, STRANGER, USER, type FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { fixtureServerConfig, publishedServerConfig } from '../../fixtures/index.js';
import { engineBeside } from '../../helpers/engine-beside.js';
import { testAsker } from '../../helpers/engine-harness.js';
import { RecordingReply } from '../../helpers/recording-reply.js';
import { answerIn, contentOf, expectNoPings, startDiscordBot, startDiscordBotBeside, type DiscordBot } from './discord-bot.js';

/** What the fixture server's entry in servers_config.json says about access: add asks first. */
const FIXTURE_ACCESS = { name: 'fixture', confirmTools: ['add'] };

/** `add …` makes the model call the fixture's add (which asks first); anything else is echoed. */
function script(request: LlmRequest) {
  const result = toolResultText(request);
  if (result !== undefined) return `Tool said: ${result}`;
  return request.lastUserText.startsWith('add') ? { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } } : `You said: ${request.lastUserText}`;
}

describe('Discord access control and confirmation buttons (fake Discord, fixture and memory MCP servers, fake LLM)', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  let dir: string;
  let callsBefore = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'discord-access-'));
    bot = await startDiscordBot({
      script,
      servers: [
        fixtureServerConfig('fixture', { confirmTools: FIXTURE_ACCESS.confirmTools }),
        publishedServerConfig('memory', 'memory', [], { allowRoles: [ROLE_ID], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } }),
      ],
      access: { users: [USER.id], roles: [ROLE_ID], channels: [] },
    });
    discord = bot.discord;
  });
  afterAll(async () => {
    await bot?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    bot.harness.llm.requests.clear();
    callsBefore = discord.rest.items.length;
  });
  afterEach(() => expectNoPings(discord.rest.items.slice(callsBefore)));

  const callback = (interaction: { id: string; token: string }) => discord.waitForCall('POST', new RegExp(`^/interactions/${interaction.id}/${interaction.token}/callback$`));
  const editedReply = (interaction: { token: string }) => discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${interaction.token}/messages/(@|%40)original$`));
  const since = () => discord.rest.items.slice(callsBefore);

  /** Asks in a new thread for something that needs approval; resolves with the thread and the question as posted. */
  async function askForAdd(text: string, on: FakeDiscord = discord): Promise<{ thread: string; question: RestCall; approve: string; deny: string }> {
    const thread = on.guildMessage(text);
    const question = await on.waitForCall('POST', new RegExp(`^/channels/${thread}/messages$`), (call) => call.body?.components?.length > 0);
    const [approve, deny] = question.body.components[0].components.map((button: { custom_id: string }) => button.custom_id);
    return { thread, question, approve, deny };
  }

  it('tells someone it does not admit, once and by DM; no thread, no typing, nothing reaches the model', async () => {
    const first = discord.guildMessage('hello there', { author: STRANGER });
    const notice = await answerIn(discord, discord.dmChannelOf(STRANGER.id), ACCESS_DENIED_MESSAGE);
    expect(notice.status).toBe(200);
    discord.guildMessage('hello again', { author: STRANGER });
    const admitted = discord.guildMessage('and me?');
    await answerIn(discord, admitted, 'You said: and me?');

    expect(since().filter((call) => call.path === `/channels/${discord.dmChannelOf(STRANGER.id)}/messages`)).toHaveLength(1);
    // No thread on the refused message, and the only typing is in the admitted person's thread.
    expect(since().filter((call) => call.path.includes(first) || (call.path.endsWith('/typing') && !call.path.includes(admitted)))).toEqual([]);
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['and me?']);
  });

  it('reacts with 🚫 when the refused person does not take DMs', async () => {
    const eve = { ...STRANGER, id: '1000000000000000013', username: 'eve' };
    discord.failNext('POST', new RegExp(`^/channels/${discord.dmChannelOf(eve.id)}/messages$`), 403, { message: 'Cannot send messages to this user', code: 50007 });
    const message = discord.guildMessage('let me in', { author: eve });
    const reaction = await discord.waitForCall('PUT', new RegExp(`^/channels/\\d+/messages/${message}/reactions/`));
    expect(decodeURIComponent(reaction.path)).toContain('🚫');
    expect(bot.harness.llm.requests.items).toEqual([]);
  });

  it('admits someone by a listed role', async () => {
    const thread = discord.guildMessage('roles count', { author: OTHER_USER, roles: [ROLE_ID] });
    await answerIn(discord, thread, 'You said: roles count');
  });

  it('filters /tools and the prompt by who asks, and refuses /tools to someone it does not admit', async () => {
    const stranger = discord.interaction('tools', { user: STRANGER });
    expect((await editedReply(stranger)).body.content).toBe(ACCESS_DENIED_MESSAGE);

    const titles = async (interaction: { token: string }) => ((await editedReply(interaction)).body.embeds as { title: string; description: string }[]);
    const forUser = await titles(discord.interaction('tools'));
    expect(forUser.map((embed) => embed.title)).toEqual(['fixture (ready)']);
    expect(forUser[0]?.description).toContain('**add** (asks first)');
    const forEngineer = await titles(discord.interaction('tools', { user: OTHER_USER, roles: [ROLE_ID] }));
    expect(forEngineer.map((embed) => embed.title)).toEqual(['fixture (ready)', 'memory (ready)']);

    await answerIn(discord, discord.guildMessage('which tools?'), 'You said: which tools?');
    await answerIn(discord, discord.guildMessage('and mine?', { author: OTHER_USER, roles: [ROLE_ID] }), 'You said: and mine?');
    const [user, engineer] = bot.harness.llm.requests.items.map((request) => String(request.messages[0]?.content));
    expect(user).not.toContain('read_graph');
    expect(engineer).toContain('read_graph');
  });

  it('runs a tool that asks first once its asker presses Approve; anyone else is told privately', async () => {
    const { thread, question, approve } = await askForAdd('add two and three');
    expect(contentOf(question)).toContain('May I run `add` on `fixture`');
    expect(question.body.components[0].components.map((button: { label: string }) => button.label)).toEqual(['Approve', 'Deny']);

    const intruder = discord.pressButton(question.response.id, approve, { user: OTHER_USER, roles: [ROLE_ID] });
    expect((await callback(intruder)).body).toMatchObject({ type: 4, data: { content: NOT_YOUR_QUESTION_TEXT, flags: 64 } });

    const asker = discord.pressButton(question.response.id, approve);
    expect((await callback(asker)).body).toMatchObject({ type: 6 });
    const settled = await answerIn(discord, thread, '✅ Approved');
    expect(settled.method).toBe('PATCH');
    expect(settled.path).toBe(`/channels/${thread}/messages/${question.response.id}`);
    expect(settled.body.components).toEqual([]);
    await answerIn(discord, thread, 'Tool said: Result of add:\n5');
  });

  it('does not run it when the asker presses Deny, and the model hears why', async () => {
    const { thread, question, deny } = await askForAdd('add but deny');
    discord.pressButton(question.response.id, deny);
    await answerIn(discord, thread, '❌ Denied: not run.');
    await answerIn(discord, thread, 'The user denied running add on fixture, so it was not run');
  });

  it('counts no press within CONFIRM_TIMEOUT_S as Deny', async () => {
    // A process configured with a time-out nobody could meet, so the test need not wait one out.
    const impatient = await startDiscordBotBeside(bot, { settings: { confirmTimeoutMs: 20 }, servers: [FIXTURE_ACCESS] });
    try {
      const { thread, question } = await askForAdd('add and wait', impatient.discord);
      const settled = await answerIn(impatient.discord, thread, '⌛ No answer in time: not run.');
      expect(settled.path).toBe(`/channels/${thread}/messages/${question.response.id}`);
      expect(settled.body.components).toEqual([]);
      await answerIn(impatient.discord, thread, 'did not approve running add on fixture in time');
      expectNoPings(impatient.discord.rest.items);
    } finally {
      await impatient.close();
    }
  });

  it('ends an open question as not run when the bot stops', async () => {
    const { thread } = await askForAdd('add while stopping');
    bot.harness.engine.cancelQuestions();
    await answerIn(discord, thread, '⏹️ Not run: I could not wait for an answer.');
    await answerIn(discord, thread, 'could not be asked for right now');
  });

  it('closes a question from before a restart, or one nothing waits for, when its button is pressed', async () => {
    // The process that asked is gone (nothing there answers its question); the store still knows the question.
    const before = engineBeside(bot.harness, { servers: [FIXTURE_ACCESS] });
    const orphanReply = new RecordingReply();
    const orphanTurn = before.handle({ threadKey: 'before-restart', asker: testAsker(USER.id), text: 'add' }, orphanReply);
    const thread = discord.guildMessage('say something');
    const answer = await answerIn(discord, thread, 'You said: say something');
    const messageId = answer.response.id as string;

    const request = await orphanReply.confirmationsAsked.waitFor(() => true);
    const restarted = discord.pressButton(messageId, `confirm:approve:${request.id}`);
    expect((await callback(restarted)).body).toMatchObject({ type: 7, data: { content: expect.stringContaining('I restarted while this was waiting'), components: [] } });
    const unknown = discord.pressButton(messageId, 'confirm:deny:no-such-question');
    expect((await callback(unknown)).body).toMatchObject({ type: 7, data: { content: 'This question is no longer waiting for an answer.', components: [] } });
    before.cancelQuestions();
    await orphanTurn;
  });
});
