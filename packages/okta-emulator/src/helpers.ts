// What a test or a demo needs that Okta does through a phone: the current TOTP code of a factor,
// completing a push enrollment, approving or rejecting a push. Used by the Emulator object and
// the /__emulator endpoints alike.
import type { Ctx } from './context.js'
import { notFound, OktaError, wrongUserStatus } from './errors.js'
import { checkTime, generate, keyOf } from './totp.js'
import { pushActivationExpired } from './factors-model.js'
import type { FactorRecord, PushTransaction } from './types.js'

function totpFactor (ctx: Ctx, factorId: string): FactorRecord {
  const f = ctx.store.factorById(factorId)
  if (f?.secret === undefined) throw notFound(factorId, 'UserFactor')
  return f
}

/** The TOTP code of a TOTP factor at `atMs` (default: the emulator clock); 404 OktaError for an unknown factor. */
export function totpCode (ctx: Ctx, factorId: string, atMs?: number): string {
  if (atMs !== undefined) checkTime(atMs, 'totpCode')
  return generate(keyOf(totpFactor(ctx, factorId).secret ?? ''), atMs ?? ctx.clock())
}

/** The base32 secret of a TOTP factor; 404 OktaError for an unknown factor, as {@link totpCode}. */
export function factorSecret (ctx: Ctx, factorId: string): string {
  return totpFactor(ctx, factorId).secret!
}

/** Completes a pending push enrollment. */
export function activatePush (ctx: Ctx, factorId: string): void {
  const f = ctx.store.factorById(factorId)
  if (f === undefined || f.factorType !== 'push') throw notFound(factorId, 'UserFactor')
  if (f.status === 'ACTIVE') return
  // A deactivated user's factors are frozen: refused as the factor's activate link refuses it (403 E0000038).
  if (ctx.store.findUser(f.userId)?.status === 'DEPROVISIONED') throw wrongUserStatus()
  const now = ctx.clock()
  if (pushActivationExpired(f, now)) {
    throw new OktaError(400, 'E0000001', 'Api validation failed: activation', ['The activation has expired: start a new one with the factor\'s activate link.'])
  }
  f.status = 'ACTIVE'
  f.lastUpdated = now
  f.profile = { ...f.profile, deviceType: 'SmartPhone_IPhone', name: 'Okta Emulator', platform: 'IOS', version: '17.0' }
  ctx.store.commit()
}

function transaction (ctx: Ctx, id: string): { t: PushTransaction, f: FactorRecord } {
  for (const u of ctx.store.users.values()) {
    for (const f of ctx.store.factors(u.id)) {
      const t = f.transactions?.find((x) => x.id === id)
      if (t !== undefined) return { t, f }
    }
  }
  throw notFound(id, 'Transaction')
}

/** User statuses in which no verification succeeds (verify answers 403 E0000069 or E0000038). */
const CANNOT_VERIFY = new Set(['LOCKED_OUT', 'SUSPENDED', 'DEPROVISIONED'])

/**
 * Settles a waiting push transaction and returns its result. An approval is a successful verification:
 * it ends the user's run of failures. An approval for a user who cannot verify now (LOCKED_OUT,
 * SUSPENDED, DEPROVISIONED) counts for nothing: the transaction is REJECTED, so it never polls SUCCESS,
 * not even after the user is unlocked or reactivated.
 */
export function settlePush (ctx: Ctx, transactionId: string, result: 'SUCCESS' | 'REJECTED'): 'SUCCESS' | 'REJECTED' {
  const { t, f } = transaction(ctx, transactionId)
  if (t.result === 'WAITING' && ctx.clock() >= t.expiresAt) t.result = 'TIMEOUT'
  if (t.result !== 'WAITING') {
    throw new OktaError(400, 'E0000001', 'Api validation failed: transaction', [`The transaction is already ${t.result}.`])
  }
  const user = ctx.store.findUser(f.userId)
  const settled = result === 'SUCCESS' && (user === undefined || CANNOT_VERIFY.has(user.status)) ? 'REJECTED' : result
  t.result = settled
  if (settled === 'SUCCESS' && user !== undefined) {
    user.failedVerifications = 0
    user.lastLogin = ctx.clock()
  }
  ctx.store.commit()
  return settled
}
