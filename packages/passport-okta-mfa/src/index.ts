// Public surface of passport-okta-mfa; only re-exports.
export {
  MFA_SESSION_KEY, getMfaState, recordMfa, clearMfa, userKeyOf, sessionGet, sessionSet,
  type MfaState, type MfaMethod, type UserKeyFn, type SessionRequest, type MfaStateOptions, type RecordMfaInput,
} from './session-state.js'
export {
  AttemptLimiter, MemoryAttemptStore, DEFAULT_MAX_ATTEMPTS, DEFAULT_WINDOW_MS,
  type AttemptStore, type AttemptCount, type AttemptDecision, type AttemptLimiterOptions, type MemoryAttemptStoreOptions,
} from './attempts.js'
export { FAIL_CODES, failInfo, isMfaFailCode, type MfaFailCode, type MfaFailInfo } from './fail-codes.js'
export { readPasscode, PASSCODE_PATTERN, type PasscodeResult } from './passcode.js'
export { type RequireMfaOptions } from './guard.js'
export { requireMfa, type ConnectMiddleware, type ExpressLikeRequest } from './require-mfa.js'
export { requireMfaFastify, mfaStateOf, type MfaPreHandler } from './require-mfa-fastify.js'
