// One rule for every options object the core's classes and functions take: a name that is not an option (a misspelt
// `prefx`, `maxAtempts`) is a TypeError naming it, never a default silently kept.
import { InvalidOptionError } from './invalid-option.js'

/**
 * Throws an {@link InvalidOptionError} (a TypeError, code `OKTA_MFA_INVALID_OPTION`) naming the first key of `options`
 * that `known` does not list. `known` is typed against the options interface by its callers
 * (`Record<keyof XOptions, true>`), so the list and the interface stay the same.
 */
export function refuseUnknownOptions (options: object, known: Readonly<Record<string, true>>, of: string): void {
  const unknown = Object.keys(options).find((key) => !Object.hasOwn(known, key))
  if (unknown !== undefined) throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not an option of ${of}`)
}
