// The coded error of the Okta authorization settings (readOktaAuthEnv): every problem found, each with its code.
/**
 * Stable codes of {@link OktaAuthEnvError}.
 * @example if (err.code === 'OKTA_AUTH_CONFLICT') console.error('unset OKTA_API_TOKEN or the OKTA_CLIENT_ID settings')
 */
export type OktaAuthEnvErrorCode =
  | 'OKTA_AUTH_CONFLICT' | 'OKTA_AUTH_MISSING' | 'OKTA_AUTH_INCOMPLETE' | 'OKTA_AUTH_KEY_UNREADABLE' | 'OKTA_AUTH_KEY_INVALID' | 'OKTA_AUTH_INVALID'

/**
 * One thing wrong with the Okta authorization settings: its code and what to fix, naming the variable.
 * @example const problem: OktaAuthEnvProblem = { code: 'OKTA_AUTH_INVALID', message: 'OKTA_DPOP must be true or false' }
 */
export interface OktaAuthEnvProblem {
  /** The problem's stable code. */
  readonly code: OktaAuthEnvErrorCode
  /** What to fix, naming the variable (never a token or any part of a key). */
  readonly message: string
}

/**
 * The Okta authorization settings in the environment cannot be used. `problems` holds every one found, each with its
 * code; `code` is the first one's, and the message is each problem prefixed with its code, joined by "; ". The
 * messages name the variables (and a key file's path) and never hold a token or any part of a key.
 * @example
 * try { readOktaAuthEnv(process.env) } catch (err) { if (err instanceof OktaAuthEnvError) console.error(err.message) }
 */
export class OktaAuthEnvError extends Error {
  /** Always `'OktaAuthEnvError'`. */
  override readonly name = 'OktaAuthEnvError'
  /** Every problem found, the first one's first; frozen. */
  readonly problems: readonly OktaAuthEnvProblem[]
  constructor (
    /** The first problem's code. */
    readonly code: OktaAuthEnvErrorCode,
    message: string,
    more: readonly OktaAuthEnvProblem[] = [],
  ) {
    super([`${code}: ${message}`, ...more.map((p) => `${p.code}: ${p.message}`)].join('; '))
    this.problems = Object.freeze([{ code, message }, ...more])
  }
}

/** One problem, as `problems` lists it. */
export const problem = (code: OktaAuthEnvErrorCode, message: string): OktaAuthEnvProblem => ({ code, message })
