import type { Writable } from 'node:stream';
import { confirmationOutcomeText, confirmationText, elicitationOutcomeText, elicitationText, progressText } from '../../engine/index.js';
import type { ConfirmationOutcome, ConfirmationRequest, ElicitationOutcome, ElicitationRequest, ImageAttachment, ToolStep, TurnEvent, TurnOutput } from '../../engine/index.js';
import { renderStep, type StepRenderer } from '../shared/step-renderer.js';

/** A question waiting for the next line. */
export type ConsoleQuestion = { kind: 'confirmation'; id: string } | { kind: 'elicitation'; id: string };

export function writeLine(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
}

/** Answers go to standard output; progress and questions go to standard error so a pipe gets answers only. */
export class ConsoleReply implements TurnOutput, StepRenderer {
  constructor(
    private readonly answers: Writable,
    private readonly status: Writable,
    /** Told when a question waits for the next line to answer it. */
    private readonly onQuestion: (question: ConsoleQuestion) => void,
  ) {}

  emit(event: TurnEvent): Promise<void> {
    return renderStep(this, event);
  }

  progress(event: ToolStep & { detail?: string }): Promise<void> {
    return writeLine(this.status, progressText(event));
  }

  final(answer: { text: string; images: ImageAttachment[] }): Promise<void> {
    const images = answer.images.map((image) => `[image ${image.filename}: ${image.mimeType}, ${image.data.length} bytes]`);
    return writeLine(this.answers, [answer.text, ...images].join('\n'));
  }

  error(message: string): Promise<void> {
    return writeLine(this.answers, message);
  }

  notice(text: string): Promise<void> {
    return writeLine(this.status, text);
  }

  async askConfirmation(request: ConfirmationRequest): Promise<void> {
    await writeLine(this.status, `${confirmationText(request)}\nType yes to approve; anything else denies.`);
    this.onQuestion({ kind: 'confirmation', id: request.id });
  }

  endConfirmation(_request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void> {
    return writeLine(this.status, confirmationOutcomeText(outcome));
  }

  async askElicitation(request: ElicitationRequest): Promise<void> {
    await writeLine(this.status, `${elicitationText(request)}\nAnswer on one line as name=value; name=value (an empty line takes the defaults), or type decline.`);
    this.onQuestion({ kind: 'elicitation', id: request.id });
  }

  endElicitation(_request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void> {
    return writeLine(this.status, elicitationOutcomeText(outcome));
  }
}
