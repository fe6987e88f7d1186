import type { DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** An error as a person at a terminal needs it: what went wrong, not the stack (the JSON logs of a deployed bot keep that). */
function errorMessage(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'message' in value) return String(value.message);
  return String(value);
}

/**
 * A log destination for a person at a terminal: each entry as one short line (time, level, message,
 * its fields), handed to `print` as it is logged.
 *
 * pino-pretty formats here, in the main thread, rather than as a pino transport: a transport writes
 * from a worker thread, past the console's prompt, and needs its own file resolvable at run time.
 * Formatting in place lets the console put each line above its prompt, and keeps the last lines
 * before an exit.
 */
export function prettyLines(print: (line: string) => void): DestinationStream {
  const pretty = prettyFactory({
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
    // Errors as plain fields, so an entry stays on one line.
    errorLikeObjectKeys: [],
    customPrettifiers: { err: errorMessage },
  });
  return { write: (entry: string) => print(pretty(entry)) };
}
