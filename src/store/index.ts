export { claimOnce } from './claim-once.js';
export { DEFAULT_NAMESPACE, openStore, type OpenStoreSettings } from './open-store.js';
export { StoreUnavailableError } from './store-unavailable-error.js';
export { FencedOutError, type HistoryStore, type Store } from './types.js';
export { ownStore } from './store-owner.js';
