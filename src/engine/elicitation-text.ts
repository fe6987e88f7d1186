import type { FormField } from './elicitation-form.js';
import type { ElicitationOutcome, ElicitationRequest } from './types.js';

function fieldLine(field: FormField): string {
  const choices = field.options?.length ? ` (${field.kind === 'choices' ? 'any of' : 'one of'}: ${field.options.map((option) => option.label).join(', ')})` : '';
  const suggested = field.default !== undefined ? `, default ${Array.isArray(field.default) ? field.default.join(', ') : String(field.default)}` : '';
  const kind = field.kind === 'text' || field.options ? '' : ` [${field.kind === 'boolean' ? 'yes/no' : field.kind}]`;
  return `• **${field.title}**${field.required ? ' (required)' : ''}${kind}${choices}${suggested}${field.description ? ` — ${field.description}` : ''}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || 'a web page';
  } catch {
    return 'a web page';
  }
}

/**
 * A page to open is named, not linked: its address may carry a sign-in or payment session meant for
 * the person who asked only, so each platform hands the link to that person alone.
 */
function head(request: ElicitationRequest): string[] {
  const link = request.url ? [`It needs a page opened (${hostOf(request.url)}); the link goes to the person who asked, who then says when they are done.`] : [];
  return [`\`${request.server}\` asks, while running \`${request.tool}\`:`, `> ${request.message.split('\n').join('\n> ')}`, ...link];
}

/** The one wording of a server's form every platform shows, in Markdown, above its inputs. */
export function elicitationText(request: ElicitationRequest): string {
  return [...head(request), ...request.fields.map(fieldLine), 'Only the person who asked can answer; declining is fine.'].join('\n');
}

const OUTCOME_LINES: Record<ElicitationOutcome, string> = {
  accepted: '✅ Answered.',
  declined: '❌ Declined.',
  'timed-out': '⌛ No answer in time.',
  cancelled: '⏹️ Not answered: I could not wait for it.',
};

export function elicitationOutcomeText(outcome: ElicitationOutcome): string {
  return OUTCOME_LINES[outcome];
}

/** The form as it stays in the thread once settled, its inputs gone. */
export function settledElicitationText(request: ElicitationRequest, outcome: ElicitationOutcome): string {
  return [...head(request), OUTCOME_LINES[outcome]].join('\n');
}
