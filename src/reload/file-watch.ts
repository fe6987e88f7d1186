import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.js';

/** An editor saves as several events (write a temporary file, rename it over the old one): one change. */
export const SETTLE_MS = 300;
/** Only where the folder cannot be watched (no inotify left, some network file systems). */
const POLL_INTERVAL_MS = 2_000;

/**
 * Calls `onChange` once a change to `file` has settled. Watches the file's folder, not the file: a
 * save that replaces the file (rename over it) would end a watch on the file itself. Kubernetes swaps
 * a mounted ConfigMap by renaming its `..data` link, which counts as a change too. Returns what stops watching.
 */
export function watchServersFile(file: string, onChange: () => void, logger: Logger): () => void {
  const log = logger.child({ file });
  const name = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  const settle = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, SETTLE_MS);
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(path.dirname(path.resolve(file)), (_event, changed) => {
      if (changed === null || changed === name || changed.startsWith('..')) settle();
    });
  } catch (error) {
    log.warn({ reason: (error as Error).message, intervalMs: POLL_INTERVAL_MS }, "cannot watch the servers file's folder; checking the file every few seconds instead");
    watchFile(file, { interval: POLL_INTERVAL_MS }, settle);
    return () => {
      clearTimeout(timer);
      unwatchFile(file, settle);
    };
  }
  watcher.on('error', (error) => log.warn({ reason: error.message }, 'watching the servers file failed; /reload still works'));
  log.debug('watching the servers file for changes');
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
