// Public surface of passport-okta-mfa; only re-exports. The MFA rules live in @okta-mfa/core; what an app needs
// to configure the strategy and the guards is re-exported from there.
export {
  MFA_SESSION_KEY, getMfaState, recordMfa, clearMfa, userKeyOf, normalizeUsername, sessionGet, sessionSet,
  type MfaState, type MfaMethod, type UserKeyFn, type SessionRequest, type MfaStateOptions, type RecordMfaInput,
  AttemptLimiter, MemoryAttemptStore, DEFAULT_MAX_ATTEMPTS, DEFAULT_WINDOW_MS, OKTA_LOCKOUT_THRESHOLD,
  type AttemptStore, type AttemptCount, type AttemptDecision, type AttemptLimiterOptions, type MemoryAttemptStoreOptions,
  StoreUnavailableError, isStoreUnavailableError, type RevocationStore,
  MemoryRevocationStore, startSession, revokeSession, revokeUserSessions, isSessionRevoked, type MemoryRevocationStoreOptions,
  dropCachedFactors,
  MFA_OUTCOMES, MfaError, isMfaError, type MfaOutcomeCode,
  readPasscode, PASSCODE_PATTERN, type PasscodeResult,
  resolveOktaUserId, InvalidOktaUserRefError, ProvisionRefusedError, NoSessionError,
  type ResolveOktaUser, type OktaUserRef, type ProvisionProfile, type ResolveOptions,
  selectFactor, TOTP_FACTOR_TYPE, type FactorSelection,
  type MfaOktaClient, type OktaFactorLike,
} from '@okta-mfa/core'
export { InvalidOptionError } from './invalid-option.js'
export { FAIL_CODES, failInfo, failMessage, isMfaFailCode, type MfaFailCode, type MfaFailInfo } from './fail-codes.js'
export { type RequireMfaOptions } from './guard.js'
export { safeReturnTo, isSafeReturnTo, MAX_RETURN_TO_LENGTH } from './safe-redirect.js'
export { requireMfa, type ConnectMiddleware, type ExpressLikeRequest } from './require-mfa.js'
export { requireMfaFastify, mfaStateOf, type MfaPreHandler, type FastifyRequestLike, type FastifyReplyLike } from './require-mfa-fastify.js'
export {
  OktaMfaStrategy,
  type StrategyRequest, type MfaSuccessInfo, type MfaVerifyDone, type MfaVerifyFunction, type MfaVerifyFunctionWithRequest,
} from './strategy.js'
export { type OktaMfaStrategyOptions, type OktaMfaStrategyOptionsWithRequest, type OktaMfaStrategyBaseOptions } from './options.js'
export { carryAcrossLogin } from './login-hook.js'
export { signOutRevoked, type SignOutRevokedOptions } from './sign-out.js'
export { failClosedSessionStore, SESSION_STORE_METHODS } from './session-store.js'
export {
  checkLoginInput, loginKeyOf, MAX_USERNAME_LENGTH, MAX_PASSWORD_LENGTH, LOGIN_INPUT_MESSAGES,
  type LoginInput, type LoginRefusal, type LoginInputCode,
} from './login-input.js'
export {
  readOktaAuthEnv, missingOktaAuthError, OktaAuthEnvError, DEFAULT_OKTA_SCOPES, DEFAULT_OKTA_DPOP, type OktaAuthSetting,
} from '@okta-mfa/core'
export {
  RememberedDevices, isRememberedMfa, activeFactorIdsOf, DEFAULT_REMEMBER_DAYS, REMEMBERED_DEVICE_COOKIE,
  type RememberedDevicesOptions, type RememberedDevice,
} from '@okta-mfa/core'
