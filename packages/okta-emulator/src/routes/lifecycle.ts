// User lifecycle operations, with Okta's status rules: activate (STAGED or DEPROVISIONED, else
// 403 E0000016), reactivate (PROVISIONED or RECOVERY; ACTIVE is 403 E0000016, others 403 E0000038),
// deactivate, suspend (ACTIVE only, else 400 E0000001), unsuspend (SUSPENDED only, else 400
// E0000001), unlock (LOCKED_OUT or ACTIVE, else 403 E0000032), reset_password (to RECOVERY),
// expire_password (to PASSWORD_EXPIRED, optionally with a temporary password) and reset_factors.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { baseUrl, flag, type Ctx } from '../context.js'
import { applyCredentials } from '../credentials.js'
import { notFound, OktaError, unlockForbidden, validationError, wrongUserStatus } from '../errors.js'
import { randomChars } from '../ids.js'
import type { UserRecord, UserStatus } from '../types.js'
import { activatesToActive, setStatus, statusForRules } from '../users-model.js'
import { queryParam, renderOne, userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string } }>

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const alreadyActive = (): OktaError => new OktaError(403, 'E0000016', 'Activation failed because the user is already active')

/** A one-time token for an activation or reset link (20 characters, like Okta's). */
function oneTimeToken (): string {
  return randomChars(ALNUM, 20)
}

function allow (u: UserRecord, statuses: UserStatus[]): void {
  if (!statuses.includes(u.status)) throw wrongUserStatus()
}

/**
 * As {@link allow}, with a lockout that caught the user before activation answered as the status it interrupted
 * (STAGED, PROVISIONED): a lockout never skips a lifecycle step.
 */
function allowNotSkipping (u: UserRecord, statuses: UserStatus[]): void {
  if (!statuses.includes(statusForRules(u))) throw wrongUserStatus()
}

/** Registers the lifecycle routes. */
export function lifecycleRoutes (app: FastifyInstance, ctx: Ctx): void {
  const { store } = ctx
  const user = { config: { bucket: 'user' as const } }
  const L = '/api/v1/users/:id/lifecycle'
  const activation = (req: Req, sendEmailDefault: boolean): Record<string, string> => {
    if (flag(queryParam(req, 'sendEmail'), sendEmailDefault)) return {}
    const token = oneTimeToken()
    return { activationUrl: `${baseUrl(req)}/tokens/${token}/verify`, activationToken: token }
  }

  app.post(`${L}/activate`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status !== 'STAGED' && u.status !== 'DEPROVISIONED') throw alreadyActive()
    const now = ctx.clock()
    setStatus(u, activatesToActive(u) ? 'ACTIVE' : 'PROVISIONED', now)
    u.activated = now
    store.commit()
    return activation(req, true)
  })

  app.post(`${L}/reactivate`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status === 'ACTIVE') throw alreadyActive()
    allow(u, ['PROVISIONED', 'RECOVERY'])
    u.lastUpdated = ctx.clock()
    store.commit()
    return activation(req, false)
  })

  app.post(`${L}/deactivate`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    // Okta documents the operation for users who are not DEPROVISIONED, and answers one who is as not found.
    if (u.status === 'DEPROVISIONED') throw notFound(req.params.id, 'User')
    setStatus(u, 'DEPROVISIONED', ctx.clock())
    store.commit()
    return {}
  })

  app.post(`${L}/suspend`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status !== 'ACTIVE') throw validationError('user', `Cannot suspend a user whose status is ${u.status}; only an ACTIVE user can be suspended.`)
    setStatus(u, 'SUSPENDED', ctx.clock())
    store.commit()
    return {}
  })

  app.post(`${L}/unsuspend`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (u.status !== 'SUSPENDED') throw validationError('user', `Cannot unsuspend a user whose status is ${u.status}; only a SUSPENDED user can be unsuspended.`)
    setStatus(u, 'ACTIVE', ctx.clock())
    store.commit()
    return {}
  })

  app.post(`${L}/unlock`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    // Okta unlocks a LOCKED_OUT user, and also accepts an ACTIVE one (clearing its failure count);
    // any other status is Okta's "Unlock forbidden" E0000032.
    if (u.status !== 'LOCKED_OUT' && u.status !== 'ACTIVE') throw unlockForbidden()
    if (u.status === 'LOCKED_OUT') {
      // Back to the status the lockout interrupted: an ACTIVE user is ACTIVE again (Okta's documented
      // outcome), a STAGED or PROVISIONED one has still to be activated, a RECOVERY or PASSWORD_EXPIRED
      // one has still to set a password. A lockout from before this was remembered: ACTIVE, as Okta documents.
      const now = ctx.clock()
      const before = u.statusBeforeLockout ?? 'ACTIVE'
      setStatus(u, before, now)
      if (before === 'ACTIVE' && u.activated === null) u.activated = now
    }
    u.failedVerifications = 0
    store.commit()
    return {}
  })

  app.post(`${L}/reset_password`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    allowNotSkipping(u, ['ACTIVE', 'PROVISIONED', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED'])
    setStatus(u, 'RECOVERY', ctx.clock())
    store.commit()
    if (flag(queryParam(req, 'sendEmail'), true)) return {}
    return { resetPasswordUrl: `${baseUrl(req)}/signin/reset-password/${oneTimeToken()}` }
  })

  const expire = (u: UserRecord, withTemp: boolean): string | undefined => {
    if (!u.hasPassword) throw wrongUserStatus()
    allowNotSkipping(u, ['ACTIVE', 'PASSWORD_EXPIRED', 'RECOVERY', 'LOCKED_OUT'])
    const now = ctx.clock()
    let temp: string | undefined
    if (withTemp) {
      temp = oneTimeToken().slice(0, 10)
      applyCredentials(u, { password: temp }, now)
    }
    setStatus(u, 'PASSWORD_EXPIRED', now)
    store.commit()
    return temp
  }
  app.post(`${L}/expire_password`, user, (req: Req, reply: FastifyReply) => {
    const u = userOr404(ctx, req.params.id)
    const temp = expire(u, flag(queryParam(req, 'tempPassword'), false))
    return temp === undefined ? renderOne(ctx, u, req) : { tempPassword: temp }
  })
  // Okta answers `{ tempPassword }` alone here (its SDKs were fixed for that answer: okta-sdk-nodejs#504,
  // okta-sdk-dotnet#853), as `expire_password?tempPassword=true` does.
  app.post(`${L}/expire_password_with_temp_password`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    return { tempPassword: expire(u, true) }
  })

  app.post(`${L}/reset_factors`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    for (const f of store.factors(u.id)) store.deleteFactor(f)
    u.lastUpdated = ctx.clock()
    store.commit()
    return {}
  })
}
