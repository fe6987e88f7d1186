import { afterEach, expect, it } from 'vitest';
import { toolResultText } from '../../fakes/fake-llm.js';
import { answered, dm, startSlackBot, type SlackBot } from './slack-bot.js';

let bot: SlackBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

it('finishes the turn in flight before disconnecting, and tells people who ask meanwhile that it is restarting', async () => {
  bot = await startSlackBot({
    mode: 'socket',
    script: (request) => (toolResultText(request) === undefined ? { toolCall: { tool: 'slow', arguments: { ms: 600 } } } : 'finished the slow work'),
  });
  const { slack, harness, adapter } = bot;
  await bot.deliver(dm('do something slow'));
  await harness.llm.requests.waitFor(() => true);

  const stopped = adapter.stop();
  await bot.deliver(dm('are you there?'));
  await answered(slack, 'restarting');
  await stopped;

  expect(slack.callsOf('chat.update').some((call) => call.args.text === 'finished the slow work')).toBe(true);
  expect(harness.llm.requests.items.map((request) => request.lastUserText)).not.toContain('are you there?');
  await slack.connections.waitFor((event) => event === 'close', { what: 'the Socket Mode connection closed' });
});
