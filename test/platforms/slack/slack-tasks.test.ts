import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_YOUR_TASK_TEXT } from '../../../src/engine/index.js';
import { toolResultText, type LlmRequest } from '../../fakes/fake-llm.js';
import { OTHER_USER_ID } from '../../fakes/fake-slack.js';
import { remoteServerConfig } from '../../fixtures/index.js';
import { startTaskFixture, type TaskFixture } from '../../fixtures/task-fixture.js';
import { answered, mention, questionPosted, startSlackBot, type Block, type SlackBot } from './slack-bot.js';

/** The model runs the long job, then says what the bot fed back. */
function script(request: LlmRequest) {
  const result = toolResultText(request);
  if (result !== undefined) return `Tool said: ${result}`;
  return { toolCall: { tool: 'long_job', arguments: { seconds: 30 } } };
}

describe('a tool running as a task on Slack (fake Slack in HTTP mode, task fixture server, fake LLM)', () => {
  let fixture: TaskFixture;
  let bot: SlackBot;

  beforeAll(async () => {
    fixture = await startTaskFixture();
    bot = await startSlackBot({ mode: 'http', script, servers: [remoteServerConfig('tasks', fixture.url)] });
  });
  afterAll(async () => {
    await bot?.close();
    await fixture?.close();
  });

  it('offers its asker a Cancel under the running step; anyone else is told privately; a press cancels it', async () => {
    await bot.deliver(mention('run the long job'));
    const { message, blocks } = await questionPosted(bot.slack);
    expect(message.text).toContain('`long_job` on `tasks` runs as a task');
    const cancel = blocks.find((block) => block.type === 'actions')!.elements![0] as { action_id: string; value: string; text: { text: string } };
    expect(cancel.text.text).toBe('Cancel');

    await bot.press(message, cancel.action_id, cancel.value, OTHER_USER_ID);
    const privately = await bot.slack.waitForCall('respond');
    expect(privately.args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_TASK_TEXT });

    await bot.press(message, cancel.action_id, cancel.value);
    await answered(bot.slack, 'Tool said: Result of long_job:\ntool "long_job" on server "tasks" ran as a task and was cancelled: the person who asked cancelled it');
    expect(fixture.tasks().at(-1)?.status).toBe('cancelled');
    expect(message.text).toContain('Ended without a result.');
    expect((message.blocks as Block[]).some((block) => block.type === 'actions')).toBe(false);
  });
});
