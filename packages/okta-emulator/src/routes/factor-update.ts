// Factor operations beyond enroll/activate/verify: PUT on a security-question factor (a new
// question and answer; 200 with the factor, as real orgs answer), and the `send` links of a
// pending push enrollment (`lifecycle/activate/email|sms`), which Okta uses to send the
// activation link to the user's phone or mailbox: the emulator has no phone, so they answer the
// enrollment as the poll link does (activate it with `activatePush`).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { baseUrl, isObject, objectBody, type Ctx } from '../context.js'
import { setFactorAnswer } from '../credentials.js'
import { validationError, wrongUserStatus } from '../errors.js'
import { QUESTION_TEXT, renderFactor } from '../factors-model.js'
import { checkQuestion, factorOr404, str } from './factors.js'
import { userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string, factorId: string, channel: string } }>

/** Registers PUT on a factor and the push activation `send` links. */
export function factorUpdateRoutes (app: FastifyInstance, ctx: Ctx): void {
  const factors = { config: { bucket: 'factors' as const } }
  const F = '/api/v1/users/:id/factors/:factorId'

  app.put(F, factors, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    // A deactivated user's factors are frozen, as for enroll, activate and unenroll.
    if (u.status === 'DEPROVISIONED') throw wrongUserStatus()
    if (f.factorType !== 'question') throw validationError('factorUpdateRequest', 'Only a security question factor can be updated.')
    const profile = objectBody(req)['profile']
    if (!isObject(profile)) throw validationError('factorUpdateRequest', 'profile: The field cannot be left blank')
    const { question, answer } = checkQuestion(str(profile, 'question', 'factorUpdateRequest'), str(profile, 'answer', 'factorUpdateRequest'), 'factorUpdateRequest')
    f.profile = { question, questionText: QUESTION_TEXT.get(question) }
    setFactorAnswer(f, answer)
    f.lastUpdated = ctx.clock()
    ctx.store.commit()
    return renderFactor(f, baseUrl(req))
  })

  app.post(`${F}/lifecycle/activate/:channel`, factors, (req: Req) => {
    const u = userOr404(ctx, req.params.id)
    const f = factorOr404(ctx, u, req.params.factorId)
    if (req.params.channel !== 'email' && req.params.channel !== 'sms') throw validationError('factorActivateRequest', `Unknown activation channel: ${req.params.channel}`)
    if (f.factorType !== 'push' || f.status !== 'PENDING_ACTIVATION') throw validationError('factorActivateRequest', 'Only a pending push enrollment sends an activation link.')
    objectBody(req)
    return renderFactor(f, baseUrl(req), 'list', ctx.clock())
  })
}
