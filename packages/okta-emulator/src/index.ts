// Public surface of @okta-mfa/emulator.
export { startEmulator, buildEmulator, validateOptions } from './emulator.js'
export type { BuiltEmulator } from './emulator.js'
export { totpCodeOf } from './totp.js'
export { OktaError } from './errors.js'
export { InvalidOptionError } from './invalid-option.js'
export { DataFileError } from './data-file-error.js'
export type { OktaErrorBody } from './errors.js'
export { DEFAULT_LIMITS } from './rate-limit.js'
export type {
  Emulator, EmulatorOptions, EmulatorOAuth, ServiceApp, OutboxMessage, MessageFilter, RateLimitBucket, RateLimitOptions, SeedUser, SeedFactor,
} from './types.js'
