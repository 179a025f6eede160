// Public surface of passport-okta-mfa; only re-exports.
export {
  MFA_SESSION_KEY, getMfaState, recordMfa, clearMfa, userKeyOf, sessionGet, sessionSet,
  type MfaState, type MfaMethod, type UserKeyFn, type SessionRequest, type MfaStateOptions, type RecordMfaInput,
} from './session-state.js'
export {
  AttemptLimiter, MemoryAttemptStore, DEFAULT_MAX_ATTEMPTS, DEFAULT_WINDOW_MS,
  type AttemptStore, type AttemptCount, type AttemptDecision, type AttemptLimiterOptions, type MemoryAttemptStoreOptions,
} from './attempts.js'
export { FAIL_CODES, failInfo, failMessage, isMfaFailCode, type MfaFailCode, type MfaFailInfo } from './fail-codes.js'
export { readPasscode, PASSCODE_PATTERN, type PasscodeResult } from './passcode.js'
export { type RequireMfaOptions } from './guard.js'
export { safeReturnTo, isSafeReturnTo, MAX_RETURN_TO_LENGTH } from './safe-redirect.js'
export { requireMfa, type ConnectMiddleware, type ExpressLikeRequest } from './require-mfa.js'
export { requireMfaFastify, mfaStateOf, type MfaPreHandler } from './require-mfa-fastify.js'
export {
  OktaMfaStrategy,
  type StrategyRequest, type MfaSuccessInfo, type MfaVerifyDone, type MfaVerifyFunction, type MfaVerifyFunctionWithRequest,
} from './strategy.js'
export { type OktaMfaStrategyOptions, type OktaMfaStrategyOptionsWithRequest, type OktaMfaStrategyBaseOptions } from './options.js'
export {
  resolveOktaUserId, InvalidOktaUserRefError,
  type ResolveOktaUser, type OktaUserRef, type ProvisionProfile, type ResolveOptions,
} from './resolve-user.js'
export { selectFactor, verifyOutcome, UnexpectedFactorResultError, OKTA_FAIL_CODES, TOTP_FACTOR_TYPE, type FactorSelection, type VerifyOutcome } from './verify.js'
export { carryAcrossLogin } from './login-hook.js'
export { type MfaOktaClient, type OktaFactorLike } from './okta-port.js'
