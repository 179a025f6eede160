// The option objects of the methods (a query, the request options): a key that is not one (a misspelt "serach",
// "timeout" for nothing) is a TypeError naming it, as createOktaClient does for its own options. Silently ignored,
// a misspelt listUsers filter would list the whole org.
import { InvalidOptionError } from './invalid-option.js'

/**
 * `value` itself, or `{}` when undefined; a TypeError naming `what` when it is not an object (null included), or
 * naming the first own key that is not in `names`.
 */
export function knownKeys<T extends object> (value: T | undefined, names: Readonly<Record<string, true>>, what: string): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionError(`${what} must be an object`)
  const unknown = firstUnknownKey(value, names)
  if (unknown !== undefined) {
    throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not a key of ${what} (${Object.keys(names).join(', ')})`)
  }
  return value
}

/** The first own key of `value` that is not in `names`, if any (each caller words its own TypeError). */
export function firstUnknownKey (value: object, names: Readonly<Record<string, true>>): string | undefined {
  return Object.keys(value).find((key) => !Object.hasOwn(names, key))
}
