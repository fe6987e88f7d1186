import type { App, BlockButtonAction, types, webApi } from '@slack/bolt';
import { CANCEL_TASK_LABEL, NOT_YOUR_TASK_TEXT, TASK_ENDED_TEXT, taskStartedText, type ConversationEngine, type ToolStep } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { toMrkdwn } from './mrkdwn.js';
import { textBlocks } from './question-answers.js';
import { failureFields } from './slack-failures.js';

const CANCEL = 'task_cancel';

/** The line about a step running as a task, with Cancel; the button's value is the engine's cancel id. */
export function taskCancelMessage(step: ToolStep, cancelId: string): { text: string; blocks: types.KnownBlock[] } {
  const text = toMrkdwn(taskStartedText(step));
  return { text, blocks: [...textBlocks(text), { type: 'actions', elements: [{ type: 'button', action_id: CANCEL, text: { type: 'plain_text', text: CANCEL_TASK_LABEL }, value: cancelId }] }] };
}

/**
 * Presses on Cancel: the asker's needs nothing more here (the turn updates the message when the step
 * ends); anyone else is told privately; a step no longer running loses its button.
 */
export function registerTaskCancelActions(app: App, engine: ConversationEngine, log: Logger): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: CANCEL }, async ({ ack, action, body, respond }) => {
    await ack();
    const result = await engine.cancelTask(action.value ?? '', body.user.id);
    log.info({ cancelId: action.value, user: body.user.id, result: result.kind }, 'task cancel button pressed');
    try {
      if (result.kind === 'not-yours') await respond({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_TASK_TEXT });
      if (result.kind === 'gone') await respond({ replace_original: true, text: TASK_ENDED_TEXT, blocks: textBlocks(TASK_ENDED_TEXT) });
    } catch (error) {
      log.warn(failureFields(error), 'cancel press could not be acknowledged');
    }
  });
}

/**
 * A line from the bot in a conversation by its thread key (`slack:<team>:<channel>[:<thread ts>]`),
 * e.g. about a task a previous run left; false when it cannot be posted there.
 */
export async function postInConversation(client: webApi.WebClient, threadKey: string, text: string, log: Logger): Promise<boolean> {
  const [, , channel, threadTs] = threadKey.split(':');
  if (!channel) return false;
  try {
    await client.chat.postMessage({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), text: toMrkdwn(text) });
    return true;
  } catch (error) {
    log.debug({ threadKey, ...failureFields(error) }, 'conversation not reachable');
    return false;
  }
}
