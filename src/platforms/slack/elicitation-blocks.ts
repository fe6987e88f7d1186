import type { App, BlockButtonAction, types } from '@slack/bolt';
import { elicitationText, type ConversationEngine, type ElicitationRequest, type FormField } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { toMrkdwn } from './mrkdwn.js';
import { acknowledgeAnswer, textBlocks } from './question-answers.js';
import { failureFields } from './slack-failures.js';

const SUBMIT = 'elicit_submit';
const DECLINE = 'elicit_decline';
const LINK = 'elicit_link';
const VALUE = 'value';
/** The input block a field's entry comes back in (a message's or a modal's `state.values`). */
export const blockId = (field: FormField) => `field:${field.name}`;
// Slack's limits: 75 characters for option text, 100 options per select.
const OPTION_TEXT = 75;
const OPTIONS = 100;

const plain = (text: string) => ({ type: 'plain_text' as const, text: text.length <= OPTION_TEXT ? text : `${text.slice(0, OPTION_TEXT - 1)}…` });

function element(field: FormField): types.InputBlock['element'] {
  const options = (field.options ?? []).slice(0, OPTIONS).map((option) => ({ text: plain(option.label), value: option.value }));
  const chosen = (values: unknown[]) => options.filter((option) => values.includes(option.value));
  switch (field.kind) {
    case 'choice': {
      const [initial] = chosen([field.default]);
      return { type: 'static_select', action_id: VALUE, options, ...(initial ? { initial_option: initial } : {}) };
    }
    case 'choices': {
      const initial = chosen(Array.isArray(field.default) ? field.default : []);
      return { type: 'multi_static_select', action_id: VALUE, options, ...(initial.length ? { initial_options: initial } : {}) };
    }
    case 'boolean': {
      const yes = { text: plain('Yes'), value: 'yes' };
      return { type: 'checkboxes', action_id: VALUE, options: [yes], ...(field.default === true ? { initial_options: [yes] } : {}) };
    }
    case 'number':
    case 'integer':
      return { type: 'number_input', action_id: VALUE, is_decimal_allowed: field.kind === 'number', ...(field.default !== undefined ? { initial_value: String(field.default) } : {}) };
    default:
      return { type: 'plain_text_input', action_id: VALUE, ...(field.default !== undefined ? { initial_value: String(field.default) } : {}) };
  }
}

/**
 * The server's words, one input per field (pre-filled with its defaults), then Submit and Decline. A
 * page to open (URL mode) has no inputs: "Open page…" hands the link to the asker alone, "Done" says
 * they went there.
 */
export function elicitationMessage(request: ElicitationRequest): { text: string; blocks: types.KnownBlock[] } {
  const text = toMrkdwn(elicitationText(request));
  const button = (actionId: string, label: string, style?: 'primary') => ({ type: 'button' as const, action_id: actionId, text: plain(label), value: request.id, ...(style ? { style } : {}) });
  const answer = request.url ? [button(LINK, 'Open page…', 'primary'), button(SUBMIT, 'Done')] : [button(SUBMIT, 'Submit', 'primary')];
  return { text, blocks: [...textBlocks(text), ...inputBlocks(request.fields), { type: 'actions', elements: [...answer, button(DECLINE, 'Decline')] }] };
}

/** One input block per field, pre-filled with its default; an entry comes back under `blockId(field)` (see enteredValues). */
export function inputBlocks(fields: FormField[]): types.KnownBlock[] {
  return fields.map((field) => ({
    type: 'input',
    block_id: blockId(field),
    label: { type: 'plain_text', text: field.title },
    optional: !field.required || field.default !== undefined,
    ...(field.description ? { hint: { type: 'plain_text', text: field.description } } : {}),
    element: element(field),
  }));
}

/** The page's link as a button only the asker sees: its address may hold their own session. */
function linkMessage(url: string): { text: string; blocks: types.KnownBlock[] } {
  const text = 'Here is your link. Press Done under the question once you have finished there.';
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: [{ type: 'button', action_id: 'elicit_open_page', text: plain('Open the page'), url }] },
    ],
  };
}

export type StateValue = { type: string; value?: string | null; selected_option?: { value: string } | null; selected_options?: { value: string }[] };

/** What the person entered, read from a message's or modal's input state as a platform-neutral value per field. */
export function enteredValues(fields: FormField[], state: Record<string, Record<string, StateValue>> | undefined): Record<string, string | string[] | boolean | undefined> {
  return Object.fromEntries(
    fields.map((field) => {
      const entered = state?.[blockId(field)]?.[VALUE];
      if (!entered) return [field.name, undefined];
      if (entered.type === 'checkboxes') return [field.name, (entered.selected_options ?? []).length > 0];
      if (entered.type === 'multi_static_select') return [field.name, (entered.selected_options ?? []).map((option) => option.value)];
      if (entered.type === 'static_select') return [field.name, entered.selected_option?.value ?? undefined];
      return [field.name, entered.value ?? undefined];
    }),
  );
}

/** Submit and Decline on a server's form; Open page… on a page to open. */
export function registerElicitationActions(app: App, engine: ConversationEngine, log: Logger): void {
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: LINK }, async ({ ack, action, body, respond }) => {
    await ack();
    const request = await engine.waitingElicitation(action.value ?? '');
    log.info({ question: action.value, user: body.user.id }, 'page link asked for');
    if (!request?.url) return acknowledgeAnswer(respond, { kind: 'gone', restarted: false }, log);
    if (request.askerId !== body.user.id) return acknowledgeAnswer(respond, { kind: 'not-yours', askerId: request.askerId }, log);
    await respond({ response_type: 'ephemeral', replace_original: false, ...linkMessage(request.url) }).catch((error: unknown) => log.warn(failureFields(error), 'page link could not be sent'));
  });
  // Slack sends a press on a link button too; the browser has opened the page, nothing is left to do.
  app.action({ type: 'block_actions', action_id: 'elicit_open_page' }, async ({ ack }) => ack());
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: new RegExp(`^(${SUBMIT}|${DECLINE})$`) }, async ({ ack, action, body, respond }) => {
    await ack();
    const id = action.value ?? '';
    const fields = (await engine.waitingElicitation(id))?.fields ?? [];
    const answer = action.action_id === DECLINE ? ({ action: 'decline' } as const) : ({ action: 'accept', values: enteredValues(fields, body.state?.values as Record<string, Record<string, StateValue>>) } as const);
    const result = await engine.answerElicitation(id, body.user.id, answer);
    log.info({ question: id, user: body.user.id, choice: action.action_id, result: result.kind }, 'elicitation answered');
    await acknowledgeAnswer(respond, result, log, ' Change it and press Submit again.');
  });
}
