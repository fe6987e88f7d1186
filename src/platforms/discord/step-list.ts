import { progressText, type ToolStep } from '../../engine/index.js';

/** One tool call of the turn as the step list shows it, with what it last reported. */
export type StepState = ToolStep & { state: 'running' | 'done' | 'failed'; detail?: string };

/** Steps shown at most; a long turn shows its latest, with a count of the earlier ones. */
const SHOWN_STEPS = 6;

function stepLine(step: StepState): string {
  if (step.state === 'running') return progressText(step);
  const call = `\`${step.tool}\` on \`${step.server}\``;
  return step.state === 'done' ? `✓ ${call}` : `✗ ${call} failed`;
}

/**
 * The turn's tool calls as a compact list, one small-print line each (Discord's `-# ` subtext), in
 * the order they were made: the running one says so (with what it last reported), finished ones ✓ or ✗.
 * Empty when no tool was called.
 */
export function stepList(steps: StepState[]): string {
  const shown = steps.slice(-SHOWN_STEPS);
  const earlier = steps.length - shown.length;
  const lines = [...(earlier > 0 ? [`… ${earlier} earlier step${earlier === 1 ? '' : 's'}`] : []), ...shown.map(stepLine)];
  return lines.map((line) => `-# ${line}`).join('\n');
}
