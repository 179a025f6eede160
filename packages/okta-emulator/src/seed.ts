// Preloads users (and their factors) from the `seed` option or `--seed FILE`. A seed user the emulator already holds
// (restored from --data, by login, id or factor id) is skipped, so seeding is idempotent.
import { unknownField, type Ctx } from './context.js'
import { setFactorAnswer } from './credentials.js'
import { OktaError } from './errors.js'
import { readJsonFile } from './json-file.js'
import { PUSH_ENROLL_MS, QUESTION_TEXT } from './factors-model.js'
import { ID_PREFIX, newId, newQrToken } from './ids.js'
import { checkSeedUsers } from './seed-check.js'
import { newSecret } from './totp.js'
import { newUserRecord } from './user-create.js'
import type { EmulatorOptions, FactorRecord, SeedUser } from './types.js'
import { InvalidOptionError } from './invalid-option.js'

/** The parts of a seed's object form. */
const SEED_PARTS: ReadonlySet<string> = new Set(['users', 'serviceApps'])

/**
 * The JSON of the file of the CLI's `--seed`, read once by the CLI and carried in the options under this key beside the
 * path (named in messages): a pipe (`--seed <(jq ...)`, `/dev/stdin`) can be read only once.
 */
export const SEED_JSON: unique symbol = Symbol('okta-emulator seed JSON')

/** A seed's JSON: the value itself, or the content of the file it names, read once. Throws TypeError naming the file. */
export function seedJson (seed: NonNullable<EmulatorOptions['seed']>): unknown {
  if (typeof seed !== 'string') return seed
  try {
    return readJsonFile(seed)
  } catch (err) {
    throw new InvalidOptionError(`"seed" option: cannot read JSON from ${seed}`, { cause: err })
  }
}

/**
 * Reads a seed: the array itself or a JSON file holding one (or `{ users, serviceApps }`), whose JSON is `json` when
 * it was read already. Throws TypeError on a bad seed: one that is not such a list, or a user or factor the API would
 * refuse (see seed-check.ts).
 */
export function loadSeed (seed: NonNullable<EmulatorOptions['seed']>, json: unknown = seedJson(seed)): SeedUser[] {
  let data = json
  // The object form also lists OAuth service apps (read by oauth/apps.ts).
  if (typeof data === 'object' && data !== null && ('users' in data || 'serviceApps' in data)) {
    const stray = unknownField(data, SEED_PARTS)
    if (stray !== undefined) throw new InvalidOptionError(`"seed" option: ${JSON.stringify(stray.slice(0, 64))} is not a part of a seed (users, serviceApps)`)
    data = (data as { users?: unknown }).users ?? []
  }
  if (!Array.isArray(data)) throw new InvalidOptionError('"seed" option must be an array of users, or { users, serviceApps } (or a JSON file holding one)')
  const where = typeof seed === 'string' ? `"seed" option (${seed})` : '"seed" option'
  for (const [i, u] of data.entries()) {
    if (typeof u !== 'object' || u === null || typeof (u as SeedUser).login !== 'string') {
      throw new InvalidOptionError(`${where}: user ${i} needs a string "login"`)
    }
  }
  checkSeedUsers(data as SeedUser[], where)
  return data as SeedUser[]
}

/**
 * Whether the emulator holds a seed user already (restored from the data file): by its login, or by its id, or, when
 * it has none, by one of its factor ids. A seeded user whose login was changed since is still the seed's user, so the
 * same `--seed` and `--data` start again.
 */
function isSeeded (ctx: Ctx, s: SeedUser): boolean {
  if (ctx.store.hasLogin(s.login)) return true
  if (s.id !== undefined) return ctx.store.users.has(s.id)
  return (s.factors ?? []).some((f) => f.id !== undefined && ctx.store.factorById(f.id) !== undefined)
}

/**
 * Adds the seed users that the emulator does not hold yet (checked by {@link loadSeed}; see {@link isSeeded}). Throws
 * TypeError when one of them would take the id of a factor another user holds, or would pass `maxUsers`.
 */
export function applySeed (ctx: Ctx, users: SeedUser[]): void {
  const now = ctx.clock()
  let changed = false
  for (const [i, s] of users.entries()) {
    if (isSeeded(ctx, s)) continue
    const at = `"seed" option: user ${i} (${JSON.stringify(s.login)})`
    for (const [j, sf] of (s.factors ?? []).entries()) {
      if (sf.id !== undefined && ctx.store.factorById(sf.id) !== undefined) throw new InvalidOptionError(`${at}: factors[${j}].id ${sf.id} is the id of a factor the emulator holds`)
    }
    const status = s.status ?? 'ACTIVE'
    const profile: Record<string, unknown> = { login: s.login, email: s.email ?? s.login }
    if (s.firstName !== undefined) profile['firstName'] = s.firstName
    if (s.lastName !== undefined) profile['lastName'] = s.lastName
    const id = s.id ?? newId(ID_PREFIX.user)
    try {
      ctx.store.addUser(newUserRecord(id, status, now, status !== 'STAGED', profile))
    } catch (err) {
      if (err instanceof OktaError) throw new InvalidOptionError(`${at}: ${err.causes[0] ?? err.errorSummary}`)
      throw err
    }
    for (const sf of s.factors ?? []) {
      const f: FactorRecord = {
        id: sf.id ?? newId(ID_PREFIX[sf.factorType]),
        userId: id,
        factorType: sf.factorType,
        provider: sf.factorType === 'token:software:totp' ? sf.provider ?? 'GOOGLE' : 'OKTA',
        status: sf.status ?? 'ACTIVE',
        created: now,
        lastUpdated: now,
        profile: {},
        activationFailures: [],
      }
      switch (sf.factorType) {
        case 'token:software:totp':
          f.secret = sf.sharedSecret ?? newSecret()
          f.qrToken = newQrToken()
          f.profile = { credentialId: s.login }
          break
        case 'sms':
        case 'call':
          f.profile = { phoneNumber: sf.phoneNumber }
          break
        case 'email':
          f.profile = { email: sf.email ?? profile['email'] }
          break
        case 'question':
          f.profile = { question: sf.question, questionText: QUESTION_TEXT.get(sf.question) }
          setFactorAnswer(f, sf.answer)
          f.status = 'ACTIVE'
          break
        case 'push':
          f.profile = { credentialId: s.login }
          f.qrToken = newQrToken()
          f.transactions = []
          f.activationExpiresAt = now + PUSH_ENROLL_MS
          break
      }
      ctx.store.addFactor(f)
    }
    changed = true
  }
  if (changed) ctx.store.commit()
}
