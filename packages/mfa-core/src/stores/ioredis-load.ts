// ioredis is an optional peer dependency: loaded when createRedisStores is called, with a coded error when the app
// has not installed it. Typed by the caller, so that this file's declarations name nothing of ioredis (an app without
// it type-checks with skipLibCheck off).
import { createRequire } from 'node:module'

/**
 * {@link createRedisStores} was called in an app without `ioredis`, its optional peer dependency
 * (code `OKTA_MFA_IOREDIS_MISSING`): `npm install ioredis`. Thrown at the call, before anything connects.
 */
export class IoredisMissingError extends Error {
  /** Always `OKTA_MFA_IOREDIS_MISSING`. */
  readonly code = 'OKTA_MFA_IOREDIS_MISSING'
  /** Always `'IoredisMissingError'`. */
  override readonly name = 'IoredisMissingError'

  constructor (options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super('createRedisStores needs the "ioredis" package: npm install ioredis', options)
  }
}

/**
 * ioredis's `Redis` class, as its CommonJS and ESM builds export it.
 *
 * @throws IoredisMissingError when the app has no ioredis.
 */
export function loadIoredis (): unknown {
  let mod: { Redis?: unknown, default?: unknown }
  try {
    mod = createRequire(import.meta.url)('ioredis') as { Redis?: unknown, default?: unknown }
  } catch (err) {
    throw new IoredisMissingError({ cause: err })
  }
  return mod.Redis ?? mod.default ?? mod
}
