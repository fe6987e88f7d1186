import type { App, BlockButtonAction, types } from '@slack/bolt';
import { confirmationText, type ConfirmationRequest, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { toMrkdwn } from './mrkdwn.js';
import { acknowledgeAnswer, textBlocks } from './question-answers.js';

const APPROVE = 'confirm_approve';
const DENY = 'confirm_deny';

/** The question with Approve and Deny; each button's value is the question's id. */
export function questionMessage(request: ConfirmationRequest): { text: string; blocks: types.KnownBlock[] } {
  const text = toMrkdwn(confirmationText(request));
  const button = (actionId: string, label: string, style: 'primary' | 'danger') =>
    ({ type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, style, value: request.id }) as const;
  return { text, blocks: [...textBlocks(text), { type: 'actions', elements: [button(APPROVE, 'Approve', 'primary'), button(DENY, 'Deny', 'danger')] }] };
}

/** Presses on Approve or Deny. */
export function registerConfirmationActions(app: App, engine: ConversationEngine, log: Logger): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: new RegExp(`^(${APPROVE}|${DENY})$`) }, async ({ ack, action, body, respond }) => {
    await ack();
    const result = await engine.decideConfirmation(action.value ?? '', body.user.id, action.action_id === APPROVE);
    log.info({ confirmation: action.value, user: body.user.id, choice: action.action_id, result: result.kind }, 'confirmation button pressed');
    await acknowledgeAnswer(respond, result, log);
  });
}
