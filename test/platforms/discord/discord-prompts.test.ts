import { describe, expect, it } from 'vitest';
import { APPLICATION_ID, type FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { fixtureServerConfig, INTRO_NOTE, libraryServerConfig } from '../../fixtures/index.js';
import { oneBotPerFile, type DiscordBot } from './discord-bot.js';

/** Repeats the question; `report please` calls the library's find_report, whose PDF is attached to the answer. */
function script(request: LlmRequest) {
  if (request.lastUserText === 'report please') return toolResultText(request) === undefined ? { toolCall: { tool: 'find_report', arguments: {} } } : 'Here is the report.';
  return `You said: ${request.lastUserText}`;
}

describe('Discord: /prompt with autocomplete and a modal, and resources attached (fake Discord, library fixture, fake LLM)', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  oneBotPerFile({ script, servers: [libraryServerConfig('library'), fixtureServerConfig('fixture')] }, (started) => {
    bot = started;
    discord = started.discord;
  });

  const callback = (interaction: { id: string; token: string }) => discord.waitForCall('POST', new RegExp(`^/interactions/${interaction.id}/${interaction.token}/callback$`));
  const webhook = (token: string) => new RegExp(`^/webhooks/${APPLICATION_ID}/${token}`);
  const nameOption = (value: string, focused = false) => [{ name: 'name', type: 3, value, ...(focused ? { focused } : {}) }];
  const answered = (interaction: { token: string }, text: string): Promise<RestCall> => discord.waitForCall('PATCH', webhook(interaction.token), (call) => String(call.body?.content).startsWith(text));

  it('registers /prompt with an autocompleted name', async () => {
    const registration = await discord.waitForCall('PUT', new RegExp(`^/applications/${APPLICATION_ID}/commands$`));
    const prompt = registration.body.find((command: { name: string }) => command.name === 'prompt');
    expect(prompt.options[0]).toMatchObject({ name: 'name', type: 3, required: true, autocomplete: true });
  });

  it('autocompletes the prompts, by id, title or description', async () => {
    const all = await callback(discord.interaction('prompt', { type: 4, options: nameOption('', true) }));
    expect(all.body.data.choices.map((choice: { value: string }) => choice.value)).toEqual(['library/summarize', 'library/greeting', 'library/picture']);
    const typed = await callback(discord.interaction('prompt', { type: 4, options: nameOption('SUMMAR', true) }));
    expect(typed.body).toEqual({ type: 8, data: { choices: [{ name: 'library/summarize — Summarize a topic', value: 'library/summarize' }] } });
  });

  it("asks a prompt's arguments in a modal, then answers the filled prompt in the interaction", async () => {
    const command = discord.interaction('prompt', { options: nameOption('library/summarize') });
    const modal = await callback(command);
    expect(modal.body.type).toBe(9);
    expect(modal.body.data).toMatchObject({ custom_id: 'prompt:library/summarize', title: 'Summarize a topic' });
    const inputs = (modal.body.data.components as { label: string; component: { custom_id: string; required: boolean } }[]).map((label) => [label.label, label.component.custom_id, label.component.required]);
    expect(inputs).toEqual([
      ['topic', 'topic', true],
      ['style', 'style', false],
    ]);

    const submitted = discord.submitCommandModal('prompt:library/summarize', { topic: 'opening hours', style: '' });
    expect((await callback(submitted)).body.type).toBe(5);
    // The prompt's embedded note comes along as an attached text file does: after the question, named.
    const answer = await answered(submitted, 'You said: Summarize opening hours in a brief style.');
    expect(answer.body.content).toContain('intro.txt');
    const asked = JSON.stringify(bot.harness.llm.requests.items.at(-1)!.messages.at(-1));
    expect(asked).toContain(INTRO_NOTE);
  });

  it('tells the asker privately what a submitted form lacks', async () => {
    const submitted = discord.submitCommandModal('prompt:library/summarize', { topic: ' ', style: 'long' });
    expect((await callback(submitted)).body).toMatchObject({ type: 4, data: { content: 'topic is required. Run /prompt again to fix it.', flags: 64 } });
  });

  it('runs a prompt without arguments at once', async () => {
    const command = discord.interaction('prompt', { options: nameOption('library/greeting') });
    expect((await callback(command)).body.type).toBe(5);
    await answered(command, 'You said: Say hello to the library.');
  });

  it('says privately when there is no such prompt', async () => {
    const command = discord.interaction('prompt', { options: nameOption('library/nope') });
    expect((await callback(command)).body).toMatchObject({ type: 4, data: { content: 'No prompt is named `library/nope`. Pick one of the suggestions.', flags: 64 } });
  });

  it('attaches a PDF a tool linked to the answer, as a file', async () => {
    const asked = discord.interaction('ask', { options: [{ name: 'question', type: 3, value: 'report please' }] });
    const withFile = await discord.rest.waitFor((call) => webhook(asked.token).test(call.path) && call.files.includes('report.pdf'), { what: 'the report attached' });
    expect(withFile.files).toEqual(['report.pdf']);
  });
});
