import type { TurnProgress } from './types.js';

/** The one wording of progress every platform shows. */
export function progressText(event: TurnProgress): string {
  return `Using \`${event.tool}\` on \`${event.server}\`…`;
}
