import { randomUUID } from 'node:crypto';
import Keyv from 'keyv';
import type { StoreSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { createBackend, type Backend } from './backends.js';
import { KeyvHistoryStore } from './history-store.js';
import { RedisMessageBus } from './redis-bus.js';
import { describeStoreUrl, StoreUnavailableError } from './store-unavailable-error.js';
import type { Store } from './types.js';

/** Every key the bot writes starts with this, so it shares a Redis or PostgreSQL with other applications safely. */
export const DEFAULT_NAMESPACE = 'mcp-bot';

/** Start-up gives up on a store that is not usable within this long: connecting plus one round trip. */
const OPEN_DEADLINE_MS = 5_000;
/** A health check answers within this long, or the store counts as down. */
const PING_DEADLINE_MS = 2_000;

export interface OpenStoreSettings extends StoreSettings {
  /** Two bots sharing one Redis or PostgreSQL keep apart with different namespaces. */
  namespace?: string;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Writes, reads back and deletes a key of its own, so bots starting together never read each other's. */
async function roundTrip(kv: Keyv): Promise<void> {
  const key = `store:probe:${randomUUID()}`;
  await kv.set(key, key, 60_000);
  if ((await kv.get(key)) !== key) throw new Error('a value written could not be read back');
  await kv.delete(key);
}

/** The first line of why, with any password in the URL masked in case a driver quotes it. */
function reason(error: unknown, url: string): string {
  const cause = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const text = cause instanceof Error ? cause.message || ((cause as NodeJS.ErrnoException).code ?? cause.name) : String(cause);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // Not a URL the parser takes: then it has no password field either.
  }
  const line = text.split('\n')[0] ?? '';
  return password ? line.replaceAll(password, '***') : line;
}

/** The backend as OpenTelemetry's `db.system.name` names it, from the scheme openStore accepted. */
function databaseSystem(url: string): string {
  const scheme = url.slice(0, url.indexOf('://'));
  return ({ rediss: 'redis', postgres: 'postgresql' } as Record<string, string>)[scheme] ?? scheme;
}

async function bringUp(backend: Backend, kv: Keyv, bus: RedisMessageBus | undefined): Promise<void> {
  await backend.connect();
  await roundTrip(kv);
  await bus?.open();
}

/**
 * Opens STORE_URL and proves it answers: a store that cannot be used stops start-up within a few
 * seconds with one line naming it (without credentials) and why, and leaves nothing running.
 */
export async function openStore(settings: OpenStoreSettings, logger: Logger): Promise<Store> {
  const label = describeStoreUrl(settings.url);
  const backend = await createBackend(settings.url);
  const namespace = settings.namespace ?? DEFAULT_NAMESPACE;
  const kv = new Keyv({ store: backend.store, namespace, throwOnErrors: true });
  // Several processes share a Redis store; the other backends serve one, which needs no bus.
  const bus = backend.redis && new RedisMessageBus(backend.redis, namespace, logger.child({ store: label }));
  let ready = false;
  // Before the store is ready its failure is reported once, by the error below; later ones are logged here.
  kv.on('error', (error: unknown) => {
    if (ready) logger.warn({ store: label, err: error }, 'store error');
  });

  try {
    await withDeadline(bringUp(backend, kv, bus), OPEN_DEADLINE_MS, 'connecting');
  } catch (error) {
    await withDeadline(Promise.all([bus?.close(), backend.destroy()]), 1_000, 'disconnecting').catch(() => undefined);
    // No `cause`: a driver's error may quote the URL, password included, and causes get logged.
    throw new StoreUnavailableError(`store ${label} cannot be used: ${reason(error, settings.url)} (check STORE_URL)`);
  }
  ready = true;
  logger.info({ store: label }, 'store ready');

  let closed: Promise<void> | undefined;
  return {
    history: new KeyvHistoryStore(kv, settings.historyTtlMs, databaseSystem(settings.url), backend.fencing?.(kv)),
    kv,
    ...(bus ? { bus } : {}),
    ping: async () => {
      // A closed Redis adapter would reconnect to answer; a closed store is simply down.
      if (closed) return false;
      return withDeadline(roundTrip(kv), PING_DEADLINE_MS, 'ping').then(
        () => true,
        () => false,
      );
    },
    close: () => {
      closed ??= Promise.all([bus?.close(), kv.disconnect()]).then(() => undefined).catch((error: unknown) => logger.warn({ store: label, err: error }, 'store did not close cleanly'));
      return closed;
    },
  };
}
