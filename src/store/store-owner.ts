import { hostname } from 'node:os';
import type { Logger } from '../logging/logger.js';
import { describeStoreUrl, StoreUnavailableError } from './store-unavailable-error.js';
import type { Store } from './types.js';

const OWNER_KEY = 'process:owner';
/** How long an owner's mark lasts without being renewed: a process killed outright frees the store after this. */
const LEASE_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

interface Owner {
  host: string;
  pid: number;
  /** Epoch ms of the last renewal. */
  at: number;
}

/** Redis serves several processes (its claims are atomic across them); memory is one process's own. */
const sharable = (url: string) => /^(rediss?|memory):/.test(url);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The mark is this process's, or one left by a process of this host that is gone (a restart after a crash; a container's pid 1 again). */
function oursOrGone(owner: Owner): boolean {
  return owner.host === hostname() && (owner.pid === process.pid || !alive(owner.pid));
}

/**
 * Makes this process the one bot process on a SQLite or PostgreSQL store: answering in order and
 * keeping each thread's history whole need one process per such store, and a second one would
 * silently interleave turns. A mark in the store, renewed every 10 s, says who holds it; a process
 * started while another's mark is fresh stops. Redis and memory stores are not marked. Two processes
 * started in the same instant may both pass (the mark is not an atomic claim); the check is for the
 * common mistake of a second process, a second replica, or a second container on one store.
 * Returns what releases the store on shutdown.
 * @throws StoreUnavailableError naming the other process and saying to use Redis for several
 */
export async function ownStore(store: Store, url: string, logger: Logger): Promise<() => Promise<void>> {
  if (sharable(url)) return async () => {};
  const owner = (await store.kv.get(OWNER_KEY)) as Owner | undefined;
  if (owner && Date.now() - owner.at < LEASE_MS && !oursOrGone(owner)) {
    throw new StoreUnavailableError(
      `another bot process (pid ${owner.pid} on ${owner.host}) uses the store ${describeStoreUrl(url)}; a SQLite or PostgreSQL store serves one process: stop the other, or use Redis (STORE_URL=redis://…) for several`,
    );
  }
  const mark = () => store.kv.set(OWNER_KEY, { host: hostname(), pid: process.pid, at: Date.now() } satisfies Owner, LEASE_MS);
  await mark();
  const renewal = setInterval(() => void mark().catch((error: unknown) => logger.warn({ err: error }, 'could not renew this process\'s mark in the store')), RENEW_EVERY_MS);
  renewal.unref();
  return async () => {
    clearInterval(renewal);
    await store.kv.delete(OWNER_KEY).catch(() => undefined);
  };
}
