import { createLogger, type Logger } from '../../src/logging/logger.js';

/** `TEST_LOG_LEVEL=debug npm test` shows the bot's logs while debugging a test. */
export function testLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}
