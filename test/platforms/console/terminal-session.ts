import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../helpers/bot-process.js';
import { visibleLines } from './terminal-screen.js';

export const TERMINAL_COLUMNS = 72;
const TERMINAL_ROWS = 40;
const driver = path.join(import.meta.dirname, 'pty-run.py');

export interface TerminalSession {
  /** Types into the terminal, as a person would (`\r` is Enter, `\x03` Ctrl+C, `\x04` Ctrl+D). */
  type(keys: string): void;
  /** The screen's lines now; `marks` keeps dimmed text between `<dim>` and `</dim>`. */
  screen(marks?: boolean): string[];
  /** Resolves with the screen once `seen` holds for it, checked on every output; rejects if the bot exits first or after `timeoutMs`. */
  until(seen: (lines: string[]) => boolean, timeoutMs?: number, marks?: boolean): Promise<string[]>;
  /** The bot's exit code, once it and the terminal have closed. */
  exited: Promise<number | null>;
  /** Ends the session if it is still running (a test that failed half-way). */
  kill(): void;
}

/**
 * `npm start`'s own entry (scripts/start.mjs: the compiled bundle) run in a pseudo-terminal
 * TERMINAL_COLUMNS wide, as a person starts the bot in a terminal; platform tokens emptied so a
 * developer's .env cannot turn Discord or Slack on.
 */
export function startInTerminal(env: Record<string, string>): TerminalSession {
  const child = spawn('python3', [driver, String(TERMINAL_COLUMNS), String(TERMINAL_ROWS), process.execPath, 'scripts/start.mjs'], {
    cwd: projectRoot,
    env: { ...process.env, DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const screen = (marks = false) => visibleLines(output, TERMINAL_COLUMNS, marks);
  const until = (seen: (lines: string[]) => boolean, timeoutMs = 30_000, marks = false) =>
    new Promise<string[]>((resolve, reject) => {
      const done = (outcome: () => void) => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.off('close', closed);
        outcome();
      };
      const check = () => {
        const lines = screen(marks);
        if (seen(lines)) done(() => resolve(lines));
      };
      const closed = () => done(() => reject(new Error(`the bot exited first; the screen:\n${screen(marks).join('\n')}\n${errors}`)));
      const timer = setTimeout(() => done(() => reject(new Error(`not seen within ${timeoutMs} ms; the screen:\n${screen(marks).join('\n')}\n${errors}`))), timeoutMs);
      child.stdout.on('data', check);
      child.once('close', closed);
      check();
    });
  return {
    type: (keys) => child.stdin.write(keys),
    screen,
    until,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
