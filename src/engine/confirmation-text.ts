import type { ConfirmationOutcome, ConfirmationRequest } from './types.js';

/** Keeps the question within one Discord message (2,000 characters) with room for the wording. */
const ARGUMENTS_SHOWN = 1_200;

function shownArguments(args: Record<string, unknown>): string {
  const json = JSON.stringify(args, null, 2);
  return json.length <= ARGUMENTS_SHOWN ? json : `${json.slice(0, ARGUMENTS_SHOWN)}\n… (${json.length - ARGUMENTS_SHOWN} more characters)`;
}

function minutes(ms: number): string {
  const whole = Math.max(1, Math.round(ms / 60_000));
  return whole === 1 ? '1 minute' : `${whole} minutes`;
}

function question(request: ConfirmationRequest): string[] {
  return [`May I run \`${request.tool}\` on \`${request.server}\` with these arguments?`, '```json', shownArguments(request.arguments), '```'];
}

/** The one wording of a confirmation question every platform shows, in Markdown. */
export function confirmationText(request: ConfirmationRequest, now = Date.now()): string {
  return [...question(request), `Only the person who asked can approve. No answer within ${minutes(request.expiresAt - now)} counts as Deny.`].join('\n');
}

const OUTCOME_LINES: Record<ConfirmationOutcome, string> = {
  approved: '✅ Approved: running it.',
  denied: '❌ Denied: not run.',
  'timed-out': '⌛ No answer in time: not run.',
  cancelled: '⏹️ Not run: I could not wait for an answer.',
};

/** One line saying how a question ended. */
export function confirmationOutcomeText(outcome: ConfirmationOutcome): string {
  return OUTCOME_LINES[outcome];
}

/** The question as it stays in the thread once settled, its buttons gone. */
export function settledConfirmationText(request: ConfirmationRequest, outcome: ConfirmationOutcome): string {
  return [...question(request), OUTCOME_LINES[outcome]].join('\n');
}

/** After a tool's name in /tools when it runs only once approved. */
export const ASKS_FIRST_NOTE = '(asks first)';


/** What the model is told when a call did not run for want of approval. */
export function unconfirmedFeedback(outcome: Exclude<ConfirmationOutcome, 'approved'>, tool: string, server: string): string {
  const call = `${tool} on ${server}`;
  if (outcome === 'denied') return `The user denied running ${call}, so it was not run. Do not call it again unless they ask you to.`;
  if (outcome === 'timed-out') return `The user did not approve running ${call} in time, so it was not run. Tell them it needs their approval.`;
  return `Running ${call} needs the user's approval, which could not be asked for right now, so it was not run.`;
}
