export { claimOnce } from './claim-once.js';
export { redisClientOf } from './backends.js';
export { DEFAULT_NAMESPACE, openStore, type OpenStoreSettings } from './open-store.js';
export { StoreUnavailableError } from './store-unavailable-error.js';
export { FencedOutError, type HistoryStore, type MessageBus, type Store } from './types.js';
export { ownStore } from './store-owner.js';
export { isSealed, SecretBox, SecretUnreadableError, type SealedSecret } from './secret-box.js';
