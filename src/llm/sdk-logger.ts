import type { ClientOptions } from 'openai';
import type { Logger } from '../logging/logger.js';

type SdkLogger = NonNullable<ClientOptions['logger']>;

/**
 * The SDK's own lines (each attempt, each retry and its reason) as structured pino lines, one level
 * lower than the SDK rates them: its info is a line per request, which is debug detail here. Its
 * details never hold the key: the SDK masks authorization headers before logging.
 */
export function sdkLogger(log: Logger): SdkLogger {
  const at =
    (level: 'error' | 'warn' | 'debug' | 'trace') =>
    (message: string, details?: unknown): void => {
      if (details === undefined) log[level](message);
      else log[level]({ sdk: details }, message);
    };
  return { error: at('error'), warn: at('warn'), info: at('debug'), debug: at('trace') };
}

/**
 * The least severe level the SDK should report: what the logger would drop, the SDK does not even
 * format (at `debug` it builds a description of every request and response, a measurable cost per call).
 */
export function sdkLogLevel(log: Logger): NonNullable<ClientOptions['logLevel']> {
  if (log.isLevelEnabled('trace')) return 'debug';
  if (log.isLevelEnabled('debug')) return 'info';
  return 'warn';
}
