import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL_ID, DM_CHANNEL_ID, type SlackCall } from '../../fakes/fake-slack.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { INTRO_NOTE, libraryServerConfig, TINY_PDF } from '../../fixtures/index.js';
import { answered, mention, MODES, startSlackBot, type SlackBot } from './slack-bot.js';

/** Repeats the question; `report please` calls the library's find_report, whose PDF is attached to the answer. */
function script(request: LlmRequest) {
  if (request.lastUserText.endsWith('report please')) return toolResultText(request) === undefined ? { toolCall: { tool: 'find_report', arguments: {} } } : 'Here is the report.';
  return `You said: ${request.lastUserText}`;
}

/** The view the bot opened last with views.open, as Slack would hand it back on submission. */
const openedView = (call: SlackCall): Record<string, unknown> => (typeof call.args.view === 'string' ? JSON.parse(call.args.view) : call.args.view) as Record<string, unknown>;

describe.each(MODES)('Slack (%s mode): /prompt through a picker modal, and resources attached (fake Slack, library fixture, fake LLM)', (mode) => {
  let bot: SlackBot;
  let opensBefore = 0;

  beforeAll(async () => {
    bot = await startSlackBot({ mode, script, servers: [libraryServerConfig('library')] });
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    opensBefore = bot.slack.callsOf('views.open').length;
  });

  async function openedPicker(text: string, channel: string): Promise<Record<string, unknown>> {
    await bot.command('/prompt', text, channel);
    const call = await bot.slack.calls.waitFor((candidate) => candidate.method === 'views.open' && bot.slack.callsOf('views.open').indexOf(candidate) >= opensBefore, { what: 'views.open' });
    expect(call.args.trigger_id).toMatch(/^trigger\./);
    return openedView(call);
  }

  it('opens a picker, then the arguments, and asks the filled prompt in a new channel thread', async () => {
    const picker = await openedPicker('', CHANNEL_ID);
    expect(picker).toMatchObject({ type: 'modal', callback_id: 'prompt_pick' });
    const select = (picker.blocks as { element: { options: { value: string }[] } }[])[0]!.element;
    expect(select.options.map((option) => option.value)).toEqual(['library/summarize', 'library/greeting', 'library/picture']);

    const next = await bot.submitView(picker, { prompt: { choice: { type: 'static_select', selected_option: { value: 'library/summarize' } } } });
    expect(next).toMatchObject({ response_action: 'update', view: { callback_id: 'prompt_fill' } });
    const form = next!.view as Record<string, unknown>;
    const inputs = (form.blocks as { type: string; block_id?: string; optional?: boolean }[]).filter((block) => block.type === 'input');
    expect(inputs.map((block) => [block.block_id, block.optional])).toEqual([
      ['field:topic', false],
      ['field:style', true],
    ]);

    const refused = await bot.submitView(form, { 'field:topic': { value: { type: 'plain_text_input', value: '' } } });
    expect(refused).toEqual({ response_action: 'errors', errors: { 'field:topic': 'topic is required.' } });

    const done = await bot.submitView(form, { 'field:topic': { value: { type: 'plain_text_input', value: 'opening hours' } }, 'field:style': { value: { type: 'plain_text_input', value: null } } });
    expect(done ?? {}).not.toHaveProperty('response_action');
    const lead = await answered(bot.slack, 'asked with the prompt `library/summarize`');
    const answer = await answered(bot.slack, 'You said: Summarize opening hours in a brief style.');
    expect(bot.slack.messages.get(String(answer.args.ts))?.threadTs).toBe(String(lead.args.ts));
    expect(JSON.stringify(bot.harness.llm.requests.items.at(-1)!.messages.at(-1))).toContain(INTRO_NOTE);
  });

  it('asks a prompt named in the command without arguments at once, in the DM', async () => {
    await bot.command('/prompt', 'greeting', DM_CHANNEL_ID);
    const answer = await answered(bot.slack, 'You said: Say hello to the library.');
    expect(answer.args.channel).toBe(DM_CHANNEL_ID);
    expect(bot.slack.callsOf('views.open')).toHaveLength(opensBefore);
  });

  it('goes straight to the arguments when the command names a prompt that takes some', async () => {
    const form = await openedPicker('library/summarize', DM_CHANNEL_ID);
    expect(form).toMatchObject({ callback_id: 'prompt_fill', title: { text: 'Summarize a topic' } });
  });

  it('uploads a PDF a tool linked as a file in the thread', async () => {
    const question = mention('report please');
    await bot.deliver(question);
    const completed = await bot.slack.waitForCall('files.completeUploadExternal', (call) => (call.args.files as { title: string }[])[0]?.title === 'report.pdf');
    expect(completed.args).toMatchObject({ channel_id: CHANNEL_ID, thread_ts: question.ts });
    const [file] = completed.args.files as { id: string }[];
    expect(bot.slack.callsOf('upload').find((call) => call.args.fileId === file!.id)?.args.bytes).toBeGreaterThanOrEqual(TINY_PDF.length);
  });
});
