// Public surface of @okta-mfa/core; only re-exports.
export {
  StoreUnavailableError, isStoreUnavailableError, STORE_UNAVAILABLE,
  type AttemptStore, type AttemptCount, type RevocationStore,
} from './stores/types.js'
export { MemoryAttemptStore, DEFAULT_MAX_ATTEMPT_KEYS, type MemoryAttemptStoreOptions } from './stores/memory-attempts.js'
export {
  AttemptLimiter, attemptKey, DEFAULT_MAX_ATTEMPTS, DEFAULT_WINDOW_MS, MAX_WINDOW_MS, OKTA_LOCKOUT_THRESHOLD,
  type AttemptLimiterOptions, type AttemptDecision, type RefundOptions,
} from './attempts.js'
export {
  MFA_OUTCOMES, MfaError, isMfaError, isMfaOutcomeCode, outcomeMessage,
  type MfaOutcomeCode, type MfaOutcomeDetails, type MfaOutcomeSpec,
} from './outcomes.js'
export { outcomeOfError, CLIENT_ERROR_OUTCOMES, DEFAULT_RETRY_AFTER_SECONDS } from './client-errors.js'
export { endUserContext, MAX_USER_AGENT_LENGTH, MAX_ACCEPT_LANGUAGE_LENGTH, type EndUserRequest } from './context.js'
export {
  readPasscode, readFactorId, readAnswer, PASSCODE_PATTERN, FACTOR_ID_PATTERN, MAX_PASSCODE_INPUT_LENGTH, MAX_ANSWER_LENGTH,
  type PasscodeResult,
} from './input.js'
export {
  MFA_SESSION_KEY, MAX_USER_KEY_LENGTH, getMfaState, recordMfa, clearMfa, userKeyOf, sessionGet, sessionSet, NoSessionError,
  type MfaState, type MfaMethod, type UserKeyFn, type SessionRequest, type MfaStateOptions, type RecordMfaInput,
} from './session-state.js'
export { normalizeUsername } from './account-name.js'
export {
  OKTA_USER_SESSION_KEY, FACTOR_CACHE_TTL_MS, MAX_CACHED_FACTORS, getOktaUserBinding, bindOktaUser, cachedFactors, cacheFactors,
  dropCachedFactors, clearOktaUserBinding, type OktaUserBinding, type CachedFactor,
} from './okta-session.js'
export {
  resolveOktaUserId, InvalidOktaUserRefError, ProvisionRefusedError,
  type ResolveOktaUser, type OktaUserRef, type ProvisionProfile, type ResolveOptions, type LoginLookupClient,
} from './resolve-user.js'
export { RequestDeadline, DEFAULT_REQUEST_DEADLINE_MS, MAX_TIMER_MS } from './deadline.js'
export { MfaSubject, type MfaSubjectInit } from './subject.js'
export {
  selectFactor, requireFactor, maskEmail, TOTP_FACTOR_TYPE, PASSCODE_FACTOR_TYPES, ANSWER_FACTOR_TYPES,
  type FactorSelection,
} from './factors.js'
export { maskPhoneNumber } from './phone-mask.js'
export { checkPasscode, type PasscodeCheckInput, type PasscodeCheckResult } from './passcode-check.js'
export { countedOutcome, settleRefusal, refundAccessRefusal } from './refusals.js'
export { errorCode, type MfaOktaClient, type OktaFactorLike } from './okta-port.js'
export {
  SESSION_IDENTITY_KEY, DEFAULT_REVOCATION_TTL_MS, getSessionIdentity, startSession, ensureSession, isSessionRevoked, revokeSession,
  revokeUserSessions, type SessionIdentity, type SessionIdentityOptions,
} from './revocation.js'
export { MemoryRevocationStore, type MemoryRevocationStoreOptions } from './stores/memory-revocation.js'
export { RedisAttemptStore } from './stores/redis-attempts.js'
export { RedisRevocationStore } from './stores/redis-revocation.js'
export {
  DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, shareableRedisError, type RedisStoreOptions, type RedisClientLike,
} from './stores/redis-common.js'
export { redisUrlProblem } from './stores/redis-url.js'
export { createRedisStores, type CreateRedisStoresOptions, type RedisStores, type RedisStoresClient, type RedisConnectionOptions } from './stores/redis.js'
export { IoredisMissingError } from './stores/ioredis-load.js'
export {
  readOktaAuthEnv, missingOktaAuthError, oktaOrgUrlProblem, DEFAULT_OKTA_SCOPES, DEFAULT_OKTA_DPOP, OKTA_OAUTH_ENV_VARS,
  type OktaAuthSetting, type ReadOktaAuthEnvOptions,
} from './okta-auth-env.js'
export { OktaAuthEnvError, type OktaAuthEnvErrorCode, type OktaAuthEnvProblem } from './okta-auth-env-error.js'
/** Whether a host name is loopback (127.0.0.0/8, `localhost`, `::1`): re-exported from `@okta-mfa/client`. */
export { isLoopbackHost } from '@okta-mfa/client'
export {
  RememberedDevices, isRememberedMfa, forgetRememberedDevices, factorFingerprint, readCookie, REMEMBERED_DEVICE_COOKIE, DEFAULT_REMEMBER_DAYS,
  REMEMBERED_SESSION_KEY, MAX_DEVICE_COOKIE_LENGTH, MAX_DEVICE_SECRETS, type RememberedDevicesOptions, type RememberedDevice,
} from './remembered-device.js'
export { activeFactorIdsOf } from './device-factors.js'
export { refuseUnknownOptions } from './known-options.js'
export { InvalidOptionError } from './invalid-option.js'
