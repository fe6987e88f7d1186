import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line, at any level. */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
  'env',
  '*.env',
  // What a failed platform request sent (discord.js's DiscordAPIError keeps it): a person's message, a private connect link.
  'requestBody',
  '*.requestBody',
];

/**
 * Logs go to standard error so the console adapter can keep standard output for answers only.
 * Synchronous writes keep the last lines before an exit.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}
