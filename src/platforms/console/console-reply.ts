import type { Writable } from 'node:stream';
import { confirmationOutcomeText, confirmationText, progressText } from '../../engine/index.js';
import type { ConfirmationOutcome, ConfirmationRequest, FinalAnswer, Reply, TurnProgress } from '../../engine/index.js';

export function writeLine(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
}

/** Answers go to standard output; progress and questions go to standard error so a pipe gets answers only. */
export class ConsoleReply implements Reply {
  constructor(
    private readonly answers: Writable,
    private readonly status: Writable,
    /** Told when a question waits for the next line to answer it. */
    private readonly onQuestion: (request: ConfirmationRequest) => void,
  ) {}

  progress(event: TurnProgress): Promise<void> {
    return writeLine(this.status, progressText(event));
  }

  final(answer: FinalAnswer): Promise<void> {
    const images = answer.images.map((image) => `[image ${image.filename}: ${image.mimeType}, ${image.data.length} bytes]`);
    return writeLine(this.answers, [answer.text, ...images].join('\n'));
  }

  error(message: string): Promise<void> {
    return writeLine(this.answers, message);
  }

  async askConfirmation(request: ConfirmationRequest): Promise<void> {
    await writeLine(this.status, `${confirmationText(request)}\nType yes to approve; anything else denies.`);
    this.onQuestion(request);
  }

  endConfirmation(_request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void> {
    return writeLine(this.status, confirmationOutcomeText(outcome));
  }
}
