import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NOT_YOUR_QUESTION_TEXT } from '../../../src/engine/index.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { OTHER_USER_ID, type SlackMessage } from '../../fakes/fake-slack.js';
import { MODES, answered, mention, questionPosted, startSlackBot, startSlackBotBeside, type SlackBot } from './slack-bot.js';

/** The model calls the fixture's `ask` (a form), or `visit` (a page to open) when asked to, and answers with what the server reported. */
function script(request: LlmRequest) {
  return toolResultText(request) ?? { toolCall: { tool: request.lastUserText.includes('visit') ? 'visit' : 'ask', arguments: {} } };
}

type Element = { type: string; action_id: string; value?: string; initial_value?: string; initial_option?: { value: string }; initial_options?: { value: string }[]; options?: { value: string }[] };
type Block = { type: string; block_id?: string; optional?: boolean; element?: Element; elements?: Element[] };

/** What Slack sends as `state.values` for a form whose inputs hold these entries. */
const stateOf = (entries: Record<string, Record<string, unknown>>) => Object.fromEntries(Object.entries(entries).map(([name, value]) => [`field:${name}`, { value }]));

describe.each(MODES)("Slack: a server's form (MCP elicitation) as Block Kit inputs in %s mode (fake Slack, fixture server, fake LLM)", (mode) => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await startSlackBot({ mode, script });
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    bot.slack.calls.clear();
  });

  /** Mentions the bot with a question that makes the server ask; resolves with the form as Slack holds it. */
  async function askForForm(text: string, on: SlackBot = bot): Promise<{ form: SlackMessage; blocks: Block[]; submit: string; decline: string; id: string }> {
    await on.deliver(mention(text));
    const posted = await questionPosted(on.slack);
    const blocks = posted.blocks as Block[];
    const [submit, decline] = blocks.find((block) => block.type === 'actions')!.elements!;
    return { form: posted.message, blocks, submit: submit!.action_id, decline: decline!.action_id, id: submit!.value! };
  }

  it('shows one pre-filled input per field, hears only the asker, checks the entries and hands them to the server', async () => {
    const { form, blocks, submit, id } = await askForForm('fill in the form');
    expect(form.text).toContain('`fixture` asks, while running `ask`:');
    const inputs = blocks.filter((block) => block.type === 'input');
    expect(inputs.map((block) => [block.block_id, block.element!.type, block.optional])).toEqual([
      ['field:name', 'plain_text_input', false],
      ['field:color', 'static_select', true],
      ['field:copies', 'number_input', true],
      ['field:urgent', 'checkboxes', true],
    ]);
    const [, color, copies, urgent] = inputs.map((block) => block.element!);
    expect(color!.options!.map((option) => option.value)).toEqual(['red', 'green', 'blue']);
    expect(color!.initial_option?.value).toBe('green');
    expect(copies!.initial_value).toBe('2');
    expect(urgent!.initial_options).toBeUndefined();

    const entries = {
      name: { type: 'plain_text_input', value: 'Ada' },
      color: { type: 'static_select', selected_option: { value: 'blue' } },
      copies: { type: 'number_input', value: '3' },
      urgent: { type: 'checkboxes', selected_options: [{ value: 'yes' }] },
    };
    await bot.press(form, submit, id, OTHER_USER_ID, stateOf(entries));
    expect((await bot.slack.waitForCall('respond')).args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_QUESTION_TEXT });

    bot.slack.calls.clear();
    await bot.press(form, submit, id, undefined, stateOf({ ...entries, name: { type: 'plain_text_input', value: null } }));
    expect((await bot.slack.waitForCall('respond')).args).toMatchObject({ response_type: 'ephemeral', text: 'Name is required. Change it and press Submit again.' });

    await bot.press(form, submit, id, undefined, stateOf(entries));
    await answered(bot.slack, 'accept {"name":"Ada","color":"blue","copies":3,"urgent":true}');
    expect(form.text).toContain('✅ Answered.');
    expect(form.blocks?.map((block) => (block as Block).type)).toEqual(['section']);
  });

  it('hands a page to open (URL mode) to the asker alone, and Done tells the server they went there', async () => {
    await bot.deliver(mention('visit the sign-in page'));
    const posted = await questionPosted(bot.slack);
    const [link, done] = (posted.blocks as Block[]).find((block) => block.type === 'actions')!.elements!;
    // The thread names the site; the address, which may hold the asker's session, is only theirs.
    expect(posted.message.text).toContain('fixture.example');
    expect(JSON.stringify(posted.blocks)).not.toContain('s3cret');

    await bot.press(posted.message, link!.action_id, link!.value!, OTHER_USER_ID);
    expect((await bot.slack.waitForCall('respond')).args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_QUESTION_TEXT });
    bot.slack.calls.clear();
    await bot.press(posted.message, link!.action_id, link!.value!);
    const given = await bot.slack.waitForCall('respond');
    expect(given.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(given.args.blocks)).toContain('https://fixture.example/sign-in?session=s3cret');

    await bot.press(posted.message, done!.action_id, done!.value!);
    await answered(bot.slack, 'Result of visit:\nvisit: accept');
    expect(posted.message.text).toContain('✅ Answered.');
  });

  it('tells the server when the asker declines', async () => {
    const { form, decline, id } = await askForForm('decline the form');
    await bot.press(form, decline, id);
    await answered(bot.slack, 'Result of ask:\ndecline');
    expect(form.text).toContain('❌ Declined.');
  });

  it('cancels the form when nobody answers within ELICITATION_TIMEOUT_S', async () => {
    // A process configured with a time-out nobody could meet, so the test need not wait one out.
    const impatient = await startSlackBotBeside(bot, { settings: { elicitationTimeoutMs: 20 } });
    try {
      const { form } = await askForForm('ignore the form', impatient);
      await answered(impatient.slack, 'Result of ask:\ncancel');
      expect(form.text).toContain('⌛ No answer in time.');
      expect(form.blocks?.some((block: Block) => block.type === 'actions' || block.type === 'input')).toBeFalsy();
    } finally {
      await impatient.close();
    }
  });
});
