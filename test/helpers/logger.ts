import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { Recorder } from './recorder.js';

/** `TEST_LOG_LEVEL=debug npm test` shows the bot's logs while debugging a test. */
export function testLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** One parsed log line; the fields tests look at, the rest as pino wrote them. */
export interface LogLine {
  level: number;
  msg: string;
  threadKey?: string;
  hint?: string;
  reason?: string;
  slackError?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  err?: any;
}

/** A logger as the bot builds it (redaction included) whose lines a test can read and wait for. */
export function capturingLogger(): { logger: Logger; logs: Recorder<LogLine>; rawLogs: string[] } {
  const logs = new Recorder<LogLine>();
  const rawLogs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      rawLogs.push(text);
      for (const line of text.split('\n').filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger('debug', sink), logs, rawLogs };
}
