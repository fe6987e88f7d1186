import { describe, expect, it } from 'vitest';
import { NOT_YOUR_QUESTION_TEXT } from '../../../src/engine/index.js';
import { OTHER_USER, type FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { answerIn, expectNoPings, oneBotPerFile, startDiscordBotBeside, type DiscordBot } from './discord-bot.js';

/** The model calls the fixture's `ask` (a form), or `visit` (a page to open) when asked to, and answers with what the server reported. */
function script(request: LlmRequest) {
  return toolResultText(request) ?? { toolCall: { tool: request.lastUserText.includes('visit') ? 'visit' : 'ask', arguments: {} } };
}

describe("Discord: a server's form (MCP elicitation) through buttons and a modal (fake Discord, fixture server, fake LLM)", () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  oneBotPerFile({ script }, (started) => {
    bot = started;
    discord = started.discord;
  });

  const callback = (interaction: { id: string; token: string }) => discord.waitForCall('POST', new RegExp(`^/interactions/${interaction.id}/${interaction.token}/callback$`));

  async function askForForm(text: string, on: FakeDiscord = discord): Promise<{ thread: string; form: RestCall; open: string; decline: string }> {
    const thread = on.guildMessage(text);
    // The form takes the place of the progress message, so it arrives as an edit.
    const form = await on.rest.waitFor((call) => call.path.startsWith(`/channels/${thread}/messages`) && call.body?.components?.length > 0, { what: `the form in ${thread}` });
    const [open, decline] = form.body.components[0].components.map((button: { custom_id: string }) => button.custom_id);
    return { thread, form, open, decline };
  }

  it('opens a pre-filled form (menus for choices and yes/no) for the asker only, checks what they enter, and hands the answer to the server', async () => {
    const { thread, form, open } = await askForForm('fill in the form');
    expect(form.body.content).toContain('`fixture` asks, while running `ask`:\n> Who should the report be for?');
    expect(form.body.content).toContain('**Color** (one of: red, green, blue), default green');

    const intruder = discord.pressButton(form.response.id, open, { user: OTHER_USER });
    expect((await callback(intruder)).body).toMatchObject({ type: 4, data: { content: NOT_YOUR_QUESTION_TEXT, flags: 64 } });

    const opened = await callback(discord.pressButton(form.response.id, open));
    expect(opened.body.type).toBe(9);
    type Input = { type: number; custom_id: string; value?: string; required?: boolean; max_values?: number; options?: { value: string; default: boolean }[] };
    const labelled = opened.body.data.components as { type: number; label: string; component: Input }[];
    expect(labelled.map((label) => [label.type, label.label])).toEqual([
      [18, 'Name'],
      [18, 'Color'],
      [18, 'Copies'],
      [18, 'Urgent'],
    ]);
    const [name, color, copies, urgent] = labelled.map((label) => label.component);
    expect(name).toMatchObject({ type: 4, custom_id: 'name', required: true });
    expect(name!.value).toBeUndefined();
    expect(color).toMatchObject({ type: 3, custom_id: 'color', required: false, max_values: 1 });
    expect(color!.options!.map((option) => [option.value, option.default])).toEqual([
      ['red', false],
      ['green', true],
      ['blue', false],
    ]);
    expect(copies).toMatchObject({ type: 4, custom_id: 'copies', value: '2', required: false, placeholder: 'a whole number' });
    expect(urgent!.options!.map((option) => [option.value, option.default])).toEqual([
      ['yes', false],
      ['no', true],
    ]);
    const submitId = opened.body.data.custom_id as string;

    const wrong = discord.submitModal(form.response.id, submitId, { name: 'Ada', color: ['green'], copies: 'many', urgent: ['no'] });
    expect((await callback(wrong)).body).toMatchObject({ type: 4, data: { content: 'Copies needs a whole number. Press Answer… to try again.', flags: 64 } });

    const right = discord.submitModal(form.response.id, submitId, { name: 'Ada', color: ['blue'], copies: '3', urgent: ['yes'] });
    expect((await callback(right)).body.type).toBe(6);
    const settled = await answerIn(discord, thread, '✅ Answered.');
    expect(settled.body.components).toEqual([]);
    await answerIn(discord, thread, 'accept {"name":"Ada","color":"blue","copies":3,"urgent":true}');
  });

  it('hands a page to open (URL mode) to the asker alone, and Done tells the server they went there', async () => {
    const { thread, form, open: link } = await askForForm('visit the sign-in page');
    const [, done] = form.body.components[0].components.map((button: { custom_id: string }) => button.custom_id);
    // The thread names the site; the address, which may hold the asker's session, is only theirs.
    expect(form.body.content).toContain('fixture.example');
    expect(form.body.content).not.toContain('s3cret');

    const intruder = discord.pressButton(form.response.id, link, { user: OTHER_USER });
    expect((await callback(intruder)).body).toMatchObject({ type: 4, data: { content: NOT_YOUR_QUESTION_TEXT, flags: 64 } });
    const given = await callback(discord.pressButton(form.response.id, link));
    expect(given.body).toMatchObject({ type: 4, data: { flags: 64, components: [{ components: [{ style: 5, url: 'https://fixture.example/sign-in?session=s3cret' }] }] } });

    expect((await callback(discord.pressButton(form.response.id, done))).body.type).toBe(6);
    await answerIn(discord, thread, '✅ Answered.');
    await answerIn(discord, thread, 'Result of visit:\nvisit: accept');
  });

  it('tells the server when the asker declines', async () => {
    const { thread, form, decline } = await askForForm('decline the form');
    expect((await callback(discord.pressButton(form.response.id, decline))).body.type).toBe(6);
    await answerIn(discord, thread, '❌ Declined.');
    await answerIn(discord, thread, 'Result of ask:\ndecline');
  });

  it('cancels the form when nobody answers within ELICITATION_TIMEOUT_S', async () => {
    // A process configured with a time-out nobody could meet, so the test need not wait one out.
    const impatient = await startDiscordBotBeside(bot, { settings: { elicitationTimeoutMs: 20 } });
    try {
      const { thread, form } = await askForForm('ignore the form', impatient.discord);
      const settled = await answerIn(impatient.discord, thread, '⌛ No answer in time.');
      expect(settled.path).toBe(`/channels/${thread}/messages/${form.response.id}`);
      expect(settled.body.components).toEqual([]);
      await answerIn(impatient.discord, thread, 'Result of ask:\ncancel');
      expectNoPings(impatient.discord.rest.items);
    } finally {
      await impatient.close();
    }
  });
});
