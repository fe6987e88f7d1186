/** A tool's description in one line, for lists: its first non-empty line (servers put details and examples below it). */
export function toolSummary(description: string): string {
  return description.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
}
