// Endpoints that exist only on the emulator, under /__emulator (SSWS auth like the rest):
// the outbox, the current TOTP code of a factor, and the "phone" side of push.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { noContent, type Ctx } from '../context.js'
import { validationError } from '../errors.js'
import { activatePush, settlePush, totpCode } from '../helpers.js'
import type { MessageFilter } from '../types.js'
import { queryParam } from './users.js'

type Req = FastifyRequest<{ Params: { factorId: string, transactionId: string } }>

function filterOf (req: FastifyRequest): MessageFilter {
  const filter: MessageFilter = {}
  // An empty value is no filter (`?userId=&channel=`, a query built from unset variables): no id or channel is empty.
  const given = (name: string): string | undefined => { const v = queryParam(req, name); return v === '' ? undefined : v }
  const userId = given('userId')
  const factorId = given('factorId')
  const channel = given('channel')
  if (userId !== undefined) filter.userId = userId
  if (factorId !== undefined) filter.factorId = factorId
  if (channel !== undefined) {
    if (channel !== 'sms' && channel !== 'call' && channel !== 'email') throw validationError('channel', 'channel: must be sms, call or email')
    filter.channel = channel
  }
  return filter
}

/** Registers the /__emulator routes. */
export function emulatorRoutes (app: FastifyInstance, ctx: Ctx): void {
  app.get('/__emulator/messages', (req: Req) => (ctx.outbox.find(filterOf(req))))
  app.delete('/__emulator/messages', (_req: Req, reply: FastifyReply) => {
    ctx.outbox.clear()
    noContent(reply)
  })
  app.get('/__emulator/factors/:factorId/totp', (req: Req, reply: FastifyReply) =>
    ({ factorId: req.params.factorId, code: totpCode(ctx, req.params.factorId) }))
  app.post('/__emulator/factors/:factorId/activate', (req: Req, reply: FastifyReply) => {
    activatePush(ctx, req.params.factorId)
    return ({})
  })
  app.post('/__emulator/push/:transactionId/approve', (req: Req, reply: FastifyReply) => {
    // REJECTED when the user cannot verify now (locked out, suspended, deactivated).
    return ({ factorResult: settlePush(ctx, req.params.transactionId, 'SUCCESS') })
  })
  app.post('/__emulator/push/:transactionId/reject', (req: Req, reply: FastifyReply) => {
    settlePush(ctx, req.params.transactionId, 'REJECTED')
    return ({ factorResult: 'REJECTED' })
  })
}
