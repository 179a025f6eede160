// Preloads users (and their factors) from the `seed` option or `--seed FILE`. A seed user whose
// login already exists (e.g. restored from --data) is skipped, so seeding is idempotent.
import { readFileSync } from 'node:fs'
import type { Ctx } from './context.js'
import { SECURITY_QUESTIONS } from './factors-model.js'
import { ID_PREFIX, newId, newQrToken } from './ids.js'
import { base32Decode, newSecret } from './totp.js'
import { newUserRecord } from './user-create.js'
import type { EmulatorOptions, FactorRecord, SeedUser } from './types.js'

/** Reads a seed: the array itself or a JSON file holding one (or `{ users, serviceApps }`). Throws TypeError on a bad seed. */
export function loadSeed (seed: NonNullable<EmulatorOptions['seed']>): SeedUser[] {
  let data: unknown = seed
  if (typeof seed === 'string') {
    try {
      data = JSON.parse(readFileSync(seed, 'utf8'))
    } catch (err) {
      throw new TypeError(`"seed" option: cannot read JSON from ${seed}`, { cause: err })
    }
  }
  // The object form also lists OAuth service apps (read by oauth/apps.ts).
  if (typeof data === 'object' && data !== null && ('users' in data || 'serviceApps' in data)) data = (data as { users?: unknown }).users ?? []
  if (!Array.isArray(data)) throw new TypeError('"seed" option must be an array of users, or { users, serviceApps } (or a JSON file holding one)')
  for (const [i, u] of data.entries()) {
    if (typeof u !== 'object' || u === null || typeof (u as SeedUser).login !== 'string') {
      throw new TypeError(`"seed" option: user ${i} needs a string "login"`)
    }
  }
  return data as SeedUser[]
}

/** Adds the seed users that do not exist yet. */
export function applySeed (ctx: Ctx, users: SeedUser[]): void {
  const now = ctx.clock()
  let changed = false
  for (const s of users) {
    if (ctx.store.hasLogin(s.login)) continue
    const status = s.status ?? 'ACTIVE'
    const profile: Record<string, unknown> = { login: s.login, email: s.email ?? s.login }
    if (s.firstName !== undefined) profile['firstName'] = s.firstName
    if (s.lastName !== undefined) profile['lastName'] = s.lastName
    const id = s.id ?? newId(ID_PREFIX.user)
    ctx.store.addUser(newUserRecord(id, status, now, status !== 'STAGED', profile))
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
          base32Decode(f.secret)
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
          if (!SECURITY_QUESTIONS.has(sf.question)) throw new TypeError(`"seed" option: unknown security question ${sf.question}`)
          f.profile = { question: sf.question, questionText: SECURITY_QUESTIONS.get(sf.question) }
          f.answer = sf.answer
          f.status = 'ACTIVE'
          break
        case 'push':
          f.profile = { credentialId: s.login }
          f.qrToken = newQrToken()
          f.transactions = []
          f.activationExpiresAt = now
          break
      }
      ctx.store.addFactor(f)
    }
    changed = true
  }
  if (changed) ctx.store.commit()
}
