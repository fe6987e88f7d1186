import { randomUUID } from 'node:crypto';
import Keyv from 'keyv';
import type { StoreSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { CONNECT_TIMEOUT_MS, createBackend } from './backends.js';
import { KeyvHistoryStore } from './history-store.js';
import { describeStoreUrl, StoreUnavailableError } from './store-unavailable-error.js';
import type { Store } from './types.js';

/** Keys of every bot sharing a Redis or Postgres stay apart from other applications' keys. */
const NAMESPACE = 'mcp-bot';

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A key of its own per probe, so bots starting together on one Redis never read each other's. */
async function roundTrip(kv: Keyv): Promise<void> {
  const key = `store:probe:${randomUUID()}`;
  await withDeadline(
    (async () => {
      await kv.set(key, key, 60_000);
      if ((await kv.get(key)) !== key) throw new Error('a value written could not be read back');
      await kv.delete(key);
    })(),
    CONNECT_TIMEOUT_MS,
    'a round trip to the store',
  );
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

/** Opens STORE_URL and proves it answers; a store that cannot be used stops start-up with one line. */
export async function openStore(settings: StoreSettings, logger: Logger): Promise<Store> {
  const label = describeStoreUrl(settings.url);
  const backend = await createBackend(settings.url);
  const kv = new Keyv({ store: backend, namespace: NAMESPACE, throwOnErrors: true });
  kv.on('error', (error: unknown) => logger.warn({ store: label, err: error }, 'store error'));

  try {
    await roundTrip(kv);
  } catch (error) {
    await kv.disconnect().catch(() => undefined);
    throw new StoreUnavailableError(`store ${label} cannot be used: ${reason(error)} (check STORE_URL)`);
  }
  logger.info({ store: label }, 'store ready');

  let closed = false;
  return {
    history: new KeyvHistoryStore(kv, settings.historyTtlMs),
    kv,
    ping: () =>
      roundTrip(kv).then(
        () => true,
        () => false,
      ),
    close: async () => {
      if (closed) return;
      closed = true;
      await kv.disconnect().catch((error: unknown) => logger.warn({ store: label, err: error }, 'store did not close cleanly'));
    },
  };
}
