import type { ToolStep } from './types.js';

/** The one wording of a running tool every platform shows; `detail` is what the tool last reported. */
export function progressText(event: ToolStep & { detail?: string }): string {
  return `Using \`${event.tool}\` on \`${event.server}\`…${event.detail ? ` ${event.detail}` : ''}`;
}

/** A tool's own progress report in a few words: its message and how far, e.g. `indexing (3/10)`. */
export function progressDetail(progress: { progress: number; total?: number; message?: string }): string {
  const amount = progress.total ? `(${progress.progress}/${progress.total})` : '';
  return [progress.message, amount].filter(Boolean).join(' ');
}
