// Public surface of @okta-mfa/core; only re-exports.
export {
  StoreUnavailableError, isStoreUnavailableError, STORE_UNAVAILABLE,
  type AttemptStore, type AttemptCount, type RevocationStore,
} from './stores/types.js'
