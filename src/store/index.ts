export { claimOnce } from './claim-once.js';
export { openStore } from './open-store.js';
export { StoreUnavailableError } from './store-unavailable-error.js';
export type { HistoryStore, Store } from './types.js';
