// Public surface of @okta-mfa/core; only re-exports.
export {
  StoreUnavailableError, isStoreUnavailableError, STORE_UNAVAILABLE,
  type AttemptStore, type AttemptCount, type RevocationStore,
} from './stores/types.js'
export { MemoryRevocationStore, type MemoryRevocationStoreOptions } from './stores/memory-revocation.js'
export { RedisAttemptStore } from './stores/redis-attempts.js'
export { RedisRevocationStore } from './stores/redis-revocation.js'
export {
  DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, type RedisStoreOptions, type RedisClientLike,
} from './stores/redis-common.js'
export { createRedisStores, type CreateRedisStoresOptions, type RedisStores } from './stores/redis.js'
