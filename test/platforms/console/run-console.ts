import { PassThrough, Readable } from 'node:stream';
import type { ConversationEngine } from '../../../src/engine/index.js';
import type { Logger } from '../../../src/logging/logger.js';
import { ConsoleAdapter, ConsoleScreen } from '../../../src/platforms/console/index.js';
import type { ServersReload } from '../../../src/reload/index.js';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

/** Pipes the lines into a console bot until it has answered them all: its answers (stdout lines) and what it asked (stderr). */
export async function runConsole(engine: ConversationEngine, logger: Logger, lines: string, options: { reload?: ServersReload } = {}): Promise<{ answers: string[]; questions: string }> {
  const output = new PassThrough();
  const status = new PassThrough();
  const answers = collect(output);
  const questions = collect(status);
  const adapter = new ConsoleAdapter({ engine, logger, input: Readable.from([lines]), screen: new ConsoleScreen(output, status, false), reload: options.reload });
  await adapter.start();
  await adapter.finished;
  return { answers: answers().split('\n').filter(Boolean), questions: questions() };
}
