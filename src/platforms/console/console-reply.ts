import { confirmationOutcomeText, confirmationText, connectLinksText, elicitationOutcomeText, elicitationText, progressText, taskStartedText } from '../../engine/index.js';
import type { ImageAttachment, ToolStep, TurnEvent, TurnOutput } from '../../engine/index.js';
import type { ConsoleScreen } from './console-screen.js';

/** A question waiting for the next line; `task`: a step running as a task, which the line `cancel` cancels. */
export type ConsoleQuestion = { kind: 'confirmation'; id: string } | { kind: 'elicitation'; id: string } | { kind: 'task'; id: string };

/** The line that cancels a running task at the console. */
export const CANCEL_LINE = 'cancel';

/** ANSI faint: tool steps stay readable without competing with the answer. */
const dim = (text: string) => `\x1b[2m${text}\x1b[22m`;

/** A tool step as one short terminal line. */
function stepLine(step: ToolStep & { detail?: string; ok?: boolean }): string {
  const call = `· ${step.tool} on ${step.server}`;
  if (step.ok === false) return `${call} failed`;
  return `${call}…${step.detail ? ` ${step.detail}` : ''}`;
}

const imageLine = (image: ImageAttachment) => `[image ${image.filename}: ${image.mimeType}, ${image.data.length} bytes]`;

/**
 * One turn in the console. In a terminal the answer streams to standard output as the model writes
 * it and tool steps are dim lines; piped, standard output gets each answer once, whole, when the turn
 * ends (scripts read one answer per turn). Tool steps, questions and notices go to standard error, so
 * a pipe gets answers only.
 */
export class ConsoleReply implements TurnOutput {
  /** Everything streamed this turn, and the part since the last tool step (the reply that may be the answer). */
  private streamed = '';
  private streamedSinceStep = '';

  constructor(
    private readonly screen: ConsoleScreen,
    /** Told when a question waits for the next line to answer it. */
    private readonly onQuestion: (question: ConsoleQuestion) => void,
  ) {}

  async emit(event: TurnEvent): Promise<void> {
    switch (event.type) {
      case 'text':
        if (!this.screen.terminal) return;
        this.streamed += event.delta;
        this.streamedSinceStep += event.delta;
        return this.screen.answerText(event.delta);
      case 'tool-started':
      case 'tool-progress':
        this.streamedSinceStep = '';
        return this.screen.statusLine(this.screen.terminal ? dim(stepLine(event)) : progressText(event));
      case 'tool-finished':
        // A failure is worth a line in a terminal; a success shows in what follows.
        return this.screen.terminal && !event.ok ? this.screen.statusLine(dim(stepLine(event))) : undefined;
      case 'task-started':
        await this.screen.statusLine(taskStartedText(event, `Type ${CANCEL_LINE} to stop it.`));
        return this.onQuestion({ kind: 'task', id: event.cancelId });
      case 'confirmation-asked':
        await this.screen.statusLine(`${confirmationText(event.request)}\nType yes to approve; anything else denies.`);
        return this.onQuestion({ kind: 'confirmation', id: event.request.id });
      case 'confirmation-ended':
        return this.screen.statusLine(confirmationOutcomeText(event.outcome));
      case 'form-asked':
        // At the console the person who asked is the one at the keyboard: the link is theirs.
        await this.screen.statusLine(
          event.request.url
            ? `${elicitationText(event.request)}\nOpen ${event.request.url} — then press Enter when you are done, or type decline.`
            : `${elicitationText(event.request)}\nAnswer on one line as name=value; name=value (an empty line takes the defaults), or type decline.`,
        );
        return this.onQuestion({ kind: 'elicitation', id: event.request.id });
      case 'form-ended':
        return this.screen.statusLine(elicitationOutcomeText(event.outcome));
      case 'notice':
        return this.screen.statusLine(event.text);
      case 'connect-links':
        // Standard error: the operator at the keyboard is the person they are for, and a pipe gets answers only.
        return this.screen.statusLine(connectLinksText(event.links, 'plain'));
      case 'answer':
        return this.finish(event.text, event.images);
      case 'error':
        // After streamed text the error goes on the line below it, so a broken answer never looks whole.
        return this.screen.answerLine(event.message);
      case 'withdrawn':
        // One process alone: no other takes its turns over, so nothing is withdrawn here.
        return this.screen.endLine();
    }
  }

  private async finish(text: string, images: ImageAttachment[]): Promise<void> {
    const shown = [this.streamed, this.streamedSinceStep].some((streamed) => streamed.trim() !== '' && streamed.trim() === text.trim());
    if (shown) {
      await this.screen.endLine();
    } else if (this.streamed.trim() !== '' && text.startsWith(this.streamed)) {
      // The answer goes on from what streamed (the lead-in before a tool call, then the bot's own last word): only the rest is new.
      await this.screen.answerText(text.slice(this.streamed.length));
      await this.screen.endLine();
    } else {
      // Nothing streamed (a pipe, or a model that does not stream), or the final text differs from
      // what streamed (rare): the final text is the answer, on a line of its own.
      await this.screen.answerLine(text);
    }
    for (const image of images) await this.screen.answerLine(imageLine(image));
  }
}
