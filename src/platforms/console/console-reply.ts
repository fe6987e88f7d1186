import type { Writable } from 'node:stream';
import { progressText } from '../../engine/index.js';
import type { FinalAnswer, Reply, TurnProgress } from '../../engine/index.js';

export function writeLine(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(`${text}\n`, (error) => (error ? reject(error) : resolve())));
}

/** Answers go to standard output; progress goes to standard error so a pipe gets answers only. */
export class ConsoleReply implements Reply {
  constructor(
    private readonly answers: Writable,
    private readonly status: Writable,
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
}
