// Credential operations of the Users API, as far as Okta's Postman Users collection uses them:
// change_password (the old password must match: 403 E0000014), change_recovery_question (the
// password must match), and forgot_password (without a body: a reset link; with the recovery
// answer and a new password: sets it, 403 E0000087 when the answer does not match; the same on
// forgot_password_recovery_question, Okta's "Reset password with recovery question").
// A user locked out before activation (STAGED, PROVISIONED) is answered as that status.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { baseUrl, flag, isObject, objectBody, type Ctx } from '../context.js'
import { applyCredentials, checkPassword, checkSecret, normAnswer, renderCredentials, secretField } from '../credentials.js'
import { OktaError, validationError } from '../errors.js'
import { randomChars } from '../ids.js'
import type { UserRecord, UserStatus } from '../types.js'
import { endPasswordStep, statusForRules } from '../users-model.js'
import { queryParam, userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string } }>

const CAN_CHANGE: UserStatus[] = ['ACTIVE', 'PASSWORD_EXPIRED', 'RECOVERY', 'LOCKED_OUT']

function valueOf (body: Record<string, unknown>, key: string, what: string): string {
  const o = body[key]
  if (!isObject(o)) throw validationError(what, `${key}: The field cannot be left blank`)
  return secretField(o['value'], `${key}.value`, what)
}

/**
 * Whether the user's status lets it change or recover its credentials. A lockout never skips a lifecycle step: a
 * user it caught before activation (STAGED, PROVISIONED) is answered as that status would be.
 */
function mayChange (u: UserRecord): boolean {
  return CAN_CHANGE.includes(statusForRules(u))
}

const credentialsFailed = (cause: string): OktaError => new OktaError(403, 'E0000014', 'Update of credentials failed', [cause])

function ended (u: UserRecord, now: number): void {
  endPasswordStep(u, now)
  u.lastUpdated = now
}

/** Registers the credential routes. */
export function credentialsRoutes (app: FastifyInstance, ctx: Ctx): void {
  const user = { config: { bucket: 'user' as const } }
  const C = '/api/v1/users/:id/credentials'

  app.post(`${C}/change_password`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (!u.hasPassword || !mayChange(u)) throw new OktaError(403, 'E0000035', 'Change password not allowed on specified user.')
    const body = objectBody(req)
    const oldPassword = valueOf(body, 'oldPassword', 'changePassword')
    const newPassword = valueOf(body, 'newPassword', 'changePassword')
    if (!checkPassword(u, oldPassword)) throw credentialsFailed('oldPassword: The credentials provided were incorrect.')
    if (newPassword === oldPassword) throw credentialsFailed('password: Password has been used too recently')
    const now = ctx.clock()
    applyCredentials(u, { password: newPassword }, now)
    ended(u, now)
    ctx.store.commit()
    return renderCredentials(u)
  })

  app.post(`${C}/change_recovery_question`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (!u.hasPassword || !mayChange(u)) throw new OktaError(403, 'E0000036', 'Change recovery question not allowed on specified user.')
    const body = objectBody(req)
    const password = valueOf(body, 'password', 'changeRecoveryQuestion')
    const rq = body['recovery_question']
    if (!isObject(rq)) throw validationError('changeRecoveryQuestion', 'recovery_question: The field cannot be left blank')
    const question = secretField(rq['question'], 'recovery_question.question', 'changeRecoveryQuestion')
    const answer = secretField(rq['answer'], 'recovery_question.answer', 'changeRecoveryQuestion')
    if (!checkPassword(u, password)) throw credentialsFailed('password: The credentials provided were incorrect.')
    const now = ctx.clock()
    applyCredentials(u, { recovery: { question, answer } }, now)
    u.lastUpdated = now
    ctx.store.commit()
    return renderCredentials(u)
  })

  app.post(`${C}/forgot_password`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (!mayChange(u)) throw new OktaError(403, 'E0000034', 'Forgot password not allowed on specified user.')
    const body = objectBody(req)
    if (body['password'] === undefined && body['recovery_question'] === undefined) {
      if (flag(queryParam(req, 'sendEmail'), true)) return {}
      return { resetPasswordUrl: `${baseUrl(req)}/signin/reset-password/${randomChars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 20)}` }
    }
    return setWithAnswer(u, body)
  })

  // Okta's "Reset password with recovery question" (the SDKs' forgotPasswordSetNewPassword): what
  // forgot_password does with a body, on its own path.
  app.post(`${C}/forgot_password_recovery_question`, user, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    if (!mayChange(u)) throw new OktaError(403, 'E0000034', 'Forgot password not allowed on specified user.')
    return setWithAnswer(u, objectBody(req))
  })

  /** Sets `{ password: { value } }` when `recovery_question.answer` matches (403 E0000087 when it does not). */
  function setWithAnswer (u: UserRecord, body: Record<string, unknown>): Record<string, unknown> {
    const password = valueOf(body, 'password', 'forgotPassword')
    const rq = body['recovery_question']
    if (!isObject(rq)) throw validationError('forgotPassword', 'recovery_question: The field cannot be left blank')
    const answer = secretField(rq['answer'], 'recovery_question.answer', 'forgotPassword')
    if (u.recoveryQuestion === undefined) throw new OktaError(403, 'E0000034', 'Forgot password not allowed on specified user.')
    if (!checkSecret(normAnswer(answer), u.recoveryAnswerHash)) {
      throw new OktaError(403, 'E0000087', 'The recovery question answer did not match our records.')
    }
    const now = ctx.clock()
    applyCredentials(u, { password }, now)
    ended(u, now)
    ctx.store.commit()
    return renderCredentials(u)
  }
}
