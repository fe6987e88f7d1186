import type { App, BlockButtonAction, types } from '@slack/bolt';
import { confirmationText, goneQuestionText, NOT_YOUR_QUESTION_TEXT, type ConfirmationRequest, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { toMrkdwn } from './mrkdwn.js';
import { failureFields } from './slack-failures.js';

const APPROVE = 'confirm_approve';
const DENY = 'confirm_deny';

export function textBlocks(mrkdwn: string): types.KnownBlock[] {
  return [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }];
}

/** The question with Approve and Deny; each button's value is the question's id. */
export function questionMessage(request: ConfirmationRequest): { text: string; blocks: types.KnownBlock[] } {
  const text = toMrkdwn(confirmationText(request));
  const button = (actionId: string, label: string, style: 'primary' | 'danger') =>
    ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, style, value: request.id }) as const;
  return { text, blocks: [...textBlocks(text), { type: 'actions', elements: [button(APPROVE, 'Approve', 'primary'), button(DENY, 'Deny', 'danger')] }] };
}

/**
 * Presses on Approve or Deny. A decision needs nothing more here (the waiting turn updates the
 * question); anyone else is told privately; a question nothing waits for loses its buttons.
 */
export function registerConfirmationActions(app: App, engine: ConversationEngine, log: Logger): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: new RegExp(`^(${APPROVE}|${DENY})$`) }, async ({ ack, action, body, respond }) => {
    await ack();
    const result = await engine.decideConfirmation(action.value ?? '', body.user.id, action.action_id === APPROVE);
    log.info({ confirmation: action.value, user: body.user.id, choice: action.action_id, result: result.kind }, 'confirmation button pressed');
    try {
      if (result.kind === 'not-yours') await respond({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_QUESTION_TEXT });
      if (result.kind === 'invalid') await respond({ response_type: 'ephemeral', replace_original: false, text: result.message });
      if (result.kind === 'gone') {
        const text = goneQuestionText(result);
        await respond({ replace_original: true, text, blocks: textBlocks(text) });
      }
    } catch (error) {
      log.warn(failureFields(error), 'confirmation press could not be answered');
    }
  });
}
