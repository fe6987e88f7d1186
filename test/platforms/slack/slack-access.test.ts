import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_DENIED_MESSAGE, NOT_YOUR_QUESTION_TEXT } from '../../../src/engine/index.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { CHANNEL_ID, OTHER_USER_ID, STRANGER_ID, USER_ID, type SlackMessage } from '../../fakes/fake-slack.js';
import { fixtureServerConfig, publishedServerConfig } from '../../fixtures/index.js';
import { MODES, PLACEHOLDER, answered, mention, questionPosted, startSlackBot, startSlackBotBeside, type SlackBot } from './slack-bot.js';

/** What the fixture server's entry in servers_config.json says about access: add asks first. */
const FIXTURE_ACCESS = { name: 'fixture', confirmTools: ['add'] };

/** `add …` makes the model call the fixture's add (which asks first); anything else is echoed. */
function script(request: LlmRequest) {
  const result = toolResultText(request);
  if (result !== undefined) return `Tool said: ${result}`;
  return request.lastUserText.startsWith('add') ? { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } } : `You said: ${request.lastUserText}`;
}

type Block = { type: string; elements?: { action_id: string; value: string; text: { text: string } }[]; text?: { text: string } };

describe.each(MODES)('Slack access control and confirmation buttons in %s mode (fake Slack, fixture and memory MCP servers, fake LLM)', (mode) => {
  let bot: SlackBot;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slack-access-'));
    bot = await startSlackBot({
      mode,
      script,
      servers: [
        fixtureServerConfig('fixture', { confirmTools: FIXTURE_ACCESS.confirmTools }),
        publishedServerConfig('memory', 'memory', [], { allowUsers: [OTHER_USER_ID], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } }),
      ],
      access: { users: [USER_ID, OTHER_USER_ID], roles: [], channels: [] },
    });
  });
  afterAll(async () => {
    await bot?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    bot.harness.llm.requests.clear();
    bot.slack.calls.clear();
  });

  /** Mentions the bot asking for something that asks first; resolves with the question message and its buttons. */
  async function askForAdd(text: string, on: SlackBot = bot): Promise<{ question: SlackMessage; approve: string; deny: string; id: string }> {
    await on.deliver(mention(text));
    const { message, blocks } = await questionPosted(on.slack);
    const actions = (blocks as Block[]).find((block) => block.type === 'actions')!;
    const [approve, deny] = actions.elements!;
    expect(approve?.value).toBe(deny?.value);
    return { question: message, approve: approve!.action_id, deny: deny!.action_id, id: approve!.value };
  }

  it('tells someone it does not admit, once and only to them; no placeholder, nothing reaches the model', async () => {
    const first = mention('hello there', { user: STRANGER_ID });
    await bot.deliver(first);
    const notice = await bot.slack.waitForCall('chat.postEphemeral');
    expect(notice.args).toMatchObject({ channel: CHANNEL_ID, user: STRANGER_ID, thread_ts: first.ts, text: ACCESS_DENIED_MESSAGE });
    await bot.deliver(mention('hello again', { user: STRANGER_ID }));
    await bot.deliver(mention('and me?'));
    await answered(bot.slack, 'You said: and me?');

    expect(bot.slack.callsOf('chat.postEphemeral')).toHaveLength(1);
    expect(bot.slack.callsOf('chat.postMessage').filter((call) => call.args.thread_ts === first.ts)).toEqual([]);
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['and me?']);
  });

  it('filters /tools by who asks, and refuses it to someone it does not admit', async () => {
    const listing = async (user: string) => {
      bot.slack.calls.clear();
      await bot.command('/tools', '', CHANNEL_ID, user);
      return bot.slack.waitForCall('respond');
    };
    expect((await listing(STRANGER_ID)).args).toMatchObject({ response_type: 'ephemeral', text: ACCESS_DENIED_MESSAGE });
    const forAda = JSON.stringify((await listing(USER_ID)).args.blocks);
    expect(forAda).toContain('*fixture*');
    expect(forAda).toContain('`add` (asks first)');
    expect(forAda).not.toContain('*memory*');
    expect(JSON.stringify((await listing(OTHER_USER_ID)).args.blocks)).toContain('*memory*');
  });

  it('runs a tool that asks first once its asker presses Approve; anyone else is told privately', async () => {
    const { question, approve, id } = await askForAdd('add two and three');
    expect(question.text).toContain('May I run `add` on `fixture`');
    expect(bot.slack.messagesIn(CHANNEL_ID).filter((message) => message.text.includes(PLACEHOLDER))).toEqual([]);

    await bot.press(question, approve, id, OTHER_USER_ID);
    const privately = await bot.slack.waitForCall('respond');
    expect(privately.args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_QUESTION_TEXT });

    await bot.press(question, approve, id);
    await answered(bot.slack, 'Tool said: Result of add:\n5');
    expect(question.text).toContain('✅ Approved: running it.');
    expect((question.blocks as Block[]).map((block) => block.type)).toEqual(['section']);
    const answer = bot.slack.messagesIn(CHANNEL_ID, question.threadTs).at(-1);
    expect(answer?.text).toContain('Tool said');
    expect(answer?.ts).not.toBe(question.ts);
  });

  it('does not run it when the asker presses Deny, and the model hears why', async () => {
    const { question, deny, id } = await askForAdd('add but deny');
    await bot.press(question, deny, id);
    await answered(bot.slack, 'The user denied running add on fixture, so it was not run');
    expect(question.text).toContain('❌ Denied: not run.');
  });

  it('counts no press within CONFIRM_TIMEOUT_S as Deny', async () => {
    // A process configured with a time-out nobody could meet, so the test need not wait one out.
    const impatient = await startSlackBotBeside(bot, { settings: { confirmTimeoutMs: 20 }, servers: [FIXTURE_ACCESS] });
    try {
      const { question } = await askForAdd('add and wait', impatient);
      await answered(impatient.slack, 'did not approve running add on fixture in time');
      expect(question.text).toContain('⌛ No answer in time: not run.');
      expect(question.blocks?.some((block: Block) => block.type === 'actions')).toBeFalsy();
    } finally {
      await impatient.close();
    }
  });

  it('takes the buttons off a question nothing waits for when one is pressed', async () => {
    const { question, approve, id } = await askForAdd('add and stop');
    bot.harness.engine.cancelQuestions();
    await answered(bot.slack, 'could not be asked for right now');
    bot.slack.calls.clear();
    await bot.press(question, approve, id);
    const closed = await bot.slack.waitForCall('respond');
    expect(closed.args).toMatchObject({ replace_original: true, text: 'This question is no longer waiting for an answer.' });
  });
});
