/**
 * A 2026-07-28 server asks for input the 2026 way (a multi round-trip `input_required` result, the
 * call retried with the answer), and the person answers on each platform as they answer any form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { remoteServerConfig, startModernFixture, type ModernFixture } from '../fixtures/index.js';
import { startEngineHarness } from '../helpers/engine-harness.js';
import { runConsole } from './console/run-console.js';
import { answerIn, startDiscordBot } from './discord/discord-bot.js';
import { answered, mention, questionPosted, startSlackBot } from './slack/slack-bot.js';

/** The model calls the server's `ask` once, then answers with what the server reported. */
const script = (request: LlmRequest) => toolResultText(request) ?? { toolCall: { tool: 'ask', arguments: {} } };
const ANSWERED = 'accept {"name":"Ada","color":"green"}';

let fixture: ModernFixture;
beforeAll(async () => {
  fixture = await startModernFixture();
});
afterAll(() => fixture?.close());

/** Every call the server took since `from`, in the 2026 revision, statelessly: what proves the path (an answer alone does not). */
function expectOnly2026Calls(from: number): void {
  const calls = fixture.requests.slice(from).filter((request) => request.method === 'tools/call');
  expect(calls.length).toBe(2);
  expect(calls.every((request) => request.protocolVersion === '2026-07-28' && request.era === 'modern')).toBe(true);
}

describe('a form from a 2026-07-28 server (multi round-trip), answered on each platform', () => {
  const servers = () => [remoteServerConfig('modern', fixture.strictUrl)];

  it('Slack: inputs in the thread, Submit, and the call retried with the answer', async () => {
    const bot = await startSlackBot({ mode: 'http', script, servers: servers() });
    try {
      const from = fixture.requests.length;
      await bot.deliver(mention('fill in the 2026 form'));
      const { message, blocks } = await questionPosted(bot.slack);
      const submit = (blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((block) => block.type === 'actions')!.elements![0]!;
      await bot.press(message, submit.action_id, submit.value, undefined, { 'field:name': { value: { type: 'plain_text_input', value: 'Ada' } } });
      await answered(bot.slack, ANSWERED);
      expectOnly2026Calls(from);
    } finally {
      await bot.close();
    }
  });

  it('Discord: Answer… opens the modal, and the call is retried with what was entered', async () => {
    const bot = await startDiscordBot({ script, servers: servers() });
    try {
      const from = fixture.requests.length;
      const thread = bot.discord.guildMessage('fill in the 2026 form');
      const form = await bot.discord.rest.waitFor((call) => call.path.startsWith(`/channels/${thread}/messages`) && call.body?.components?.length > 0, { what: 'the form' });
      const [open] = form.body.components[0].components.map((button: { custom_id: string }) => button.custom_id);
      const pressed = bot.discord.pressButton(form.response.id, open);
      const modal = await bot.discord.waitForCall('POST', new RegExp(`^/interactions/${pressed.id}/${pressed.token}/callback$`));
      bot.discord.submitModal(form.response.id, modal.body.data.custom_id as string, { name: 'Ada', color: ['green'] });
      await answerIn(bot.discord, thread, ANSWERED);
      expectOnly2026Calls(from);
    } finally {
      await bot.close();
    }
  });

  it('console: the next line is the form, and the call is retried with it', async () => {
    const harness = await startEngineHarness({ script, servers: servers() });
    try {
      const from = fixture.requests.length;
      const { answers, questions } = await runConsole(harness.engine, harness.logger, 'fill in the 2026 form\nname=Ada\n');
      expect(questions).toContain('`modern` asks, while running `ask`:');
      expect(answers.join('\n')).toContain(ANSWERED);
      expectOnly2026Calls(from);
    } finally {
      await harness.close();
    }
  });
});
