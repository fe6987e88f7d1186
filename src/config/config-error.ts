/** A problem an operator fixes in a file or the environment; printed as one line, never a stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
