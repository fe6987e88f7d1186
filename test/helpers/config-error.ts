import { expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** The message of the ConfigError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function configError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).message;
}
