import type { TaskCancelOutcome } from '../mcp/types.js';
import type { RecordedTask } from './running-tasks.js';
import type { ToolStep } from './types.js';

/** The label of the control that cancels a step running as a task. */
export const CANCEL_TASK_LABEL = 'Cancel';

/** What a Cancel pressed by someone other than the asker tells them, privately. */
export const NOT_YOUR_TASK_TEXT = 'Only the person who asked can cancel this.';

/** For a Cancel on a step that is no longer running. */
export const TASK_ENDED_TEXT = 'This task is no longer running.';

/** A step that runs as a task, in the thread, with how to stop it where there is no button (the console). */
export function taskStartedText(step: ToolStep, howToCancel = ''): string {
  return `\`${step.tool}\` on \`${step.server}\` runs as a task and may take a while.${howToCancel ? ` ${howToCancel}` : ''}`;
}

/** The same line once the step has ended: done, or ended without a result (failed or cancelled; the answer says which). */
export function taskEndedText(step: ToolStep, ok: boolean): string {
  return `${taskStartedText(step)} ${ok ? '✅ Done.' : '⏹️ Ended without a result.'}`;
}

/** A task's status while it runs, as a step's progress: the server's message, or its status in words. */
export function taskStatusDetail(status: string, message: string | undefined): string {
  if (message) return message;
  return status === 'input_required' ? 'waiting for input' : status;
}

/** A task that outlived the tool time-out: still running, and the last thing it said. */
export function stillWorkingDetail(elapsedMs: number, lastDetail: string | undefined): string {
  const still = `still working after ${Math.round(elapsedMs / 1000)} s`;
  return lastDetail ? `${lastDetail} (${still})` : still;
}

/** What a thread is told about a task the bot's previous run left running, once the bot is back. */
export function leftoverTaskText(task: RecordedTask, outcome: TaskCancelOutcome): string {
  const what = `\`${task.tool}\` on \`${task.server}\``;
  if (outcome.kind === 'cancelled') return `⏹️ I restarted while ${what} was running as a task, so I cancelled it. Ask again if you still want it.`;
  if (outcome.kind === 'unknown') return `⏹️ I restarted while ${what} was running as a task; the server no longer has it. Ask again if you still want it.`;
  return `⚠️ I restarted while ${what} was running as a task, and could not cancel it (${outcome.reason}); it may still finish on the server.`;
}
