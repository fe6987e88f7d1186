import { clearLine, cursorTo, type Interface } from 'node:readline';
import type { Writable } from 'node:stream';

/** An output stream as the console sees it: a terminal also reports its width. */
export type ConsoleStream = Writable & { columns?: number };

/**
 * The console's two outputs as one screen: answers on standard output, everything else (tool steps,
 * questions, logs) on standard error, which in a terminal share one window. Keeps lines whole across
 * both: a line written while an answer is still streaming starts on a fresh line, and one written
 * while the prompt waits for a person goes above the prompt, which is then redrawn with whatever
 * they had typed.
 */
export class ConsoleScreen {
  private prompt: Interface | undefined;
  private promptShown = false;
  /** The last thing written ended without a line end (an answer still streaming). */
  private midLine = false;

  /**
   * @param terminal a person watches a terminal (decided once at start-up): answers stream and tool
   *   steps are dimmed; otherwise every write is a whole line, as scripts reading a pipe expect.
   */
  constructor(
    readonly answers: ConsoleStream,
    readonly status: ConsoleStream,
    readonly terminal: boolean,
  ) {}

  /** The terminal's width in columns; undefined when piped, where lines are never cut. */
  get columns(): number | undefined {
    return this.terminal ? this.answers.columns : undefined;
  }

  /** The readline prompt that writes go around; it must write to `status`. */
  usePrompt(lines: Interface): void {
    this.prompt = lines;
    lines.on('line', () => (this.promptShown = false));
    lines.on('close', () => {
      // Ctrl+D or Ctrl+C at the prompt: what follows (the last logs, the shell's own prompt) starts below it.
      if (this.promptShown) this.status.write('\n');
      this.promptShown = false;
      this.prompt = undefined;
    });
  }

  /** Shows the prompt: the console waits for a line. */
  showPrompt(): void {
    if (!this.prompt) return;
    this.promptShown = true;
    this.prompt.prompt();
  }

  /** More of an answer as the model writes it, left on the line for what comes next. */
  answerText(text: string): Promise<void> {
    return this.put(this.answers, text);
  }

  /** A whole line of the answer stream (an answer, a command's output, an error). */
  answerLine(text: string): Promise<void> {
    return this.put(this.answers, this.wholeLine(text));
  }

  /** A whole line on standard error (a tool step, a question, a notice). */
  statusLine(text: string): Promise<void> {
    return this.put(this.status, this.wholeLine(text));
  }

  /** Ends the line a streamed answer left open, if any. */
  endLine(): Promise<void> {
    return this.midLine ? this.put(this.answers, '\n') : Promise.resolve();
  }

  /**
   * A log line, written at once (a logger cannot wait): above the prompt when it is shown, on a
   * fresh line when an answer is streaming.
   */
  printAside(text: string): void {
    void this.put(this.status, this.wholeLine(text.replace(/\n$/, '')));
  }

  private wholeLine(text: string): string {
    return `${this.midLine ? '\n' : ''}${text}\n`;
  }

  private put(stream: ConsoleStream, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    this.midLine = !text.endsWith('\n');
    const shown = this.promptShown && this.prompt;
    // The prompt (and what the person typed) is cleared, the text written in its place, and the prompt redrawn below.
    if (shown) {
      clearLine(this.status, 0);
      cursorTo(this.status, 0);
    }
    const written = new Promise<void>((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
    if (shown) shown.prompt(true);
    return written;
  }
}
