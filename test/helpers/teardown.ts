/**
 * Runs every cleanup, newest first, even when an earlier one fails, then throws the failures together,
 * so a server that did not close fails the test instead of leaking quietly into the next one.
 */
export async function runCleanups(cleanups: (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${cleanups.length} cleanups failed`);
}
