import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../logging/logger.js';

/** Slack tokens: bot and user (`xox?-`), app-level (`xapp-`). */
const TOKEN = /\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+/g;

/**
 * Bolt passes errors as extra arguments, and a Web client error can carry the request it failed on,
 * token included: errors are reduced to their message, and anything token-shaped is blanked.
 */
function lineOf(parts: unknown[]): string {
  const text = parts.map((part) => (typeof part === 'string' ? part : part instanceof Error ? `${part.name}: ${part.message}` : JSON.stringify(part))).join(' ');
  return text.replace(TOKEN, '[redacted]');
}

/** Bolt's own log lines, routed into our structured logs; pino's level decides what is written. */
export function boltLogger(log: Logger): BoltLogger {
  const bolt = log.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => bolt.debug(lineOf(parts)),
    info: (...parts: unknown[]) => bolt.info(lineOf(parts)),
    warn: (...parts: unknown[]) => bolt.warn(lineOf(parts)),
    error: (...parts: unknown[]) => bolt.error(lineOf(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
