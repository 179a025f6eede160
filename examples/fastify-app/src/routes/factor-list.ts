// The user's factors as Okta lists them, read for a page. When Okta cannot give them, the failure is kept, so the
// page says what happened: unreachable (503 "Okta is unavailable") or not answering in time (504 "Okta is taking too
// long"), as every other Okta call of the demo does.
import type { UserFactor } from '@okta-mfa/client'
import type { FastifyRequest } from 'fastify'
import type { AppContext } from '../context.js'
import { factorView, type FactorView } from '../factors.js'
import { isUpstreamFailure, isUpstreamTimeout, TIMED_OUT, UNAVAILABLE } from '../messages.js'

/** Okta could not list the factors: `err` is why (unreachable, its 5xx, or no answer in time). */
export class Unlisted {
  /** @param err the client's error, for `sendUnavailable` to word and code the page. */
  constructor (readonly err: unknown) {}
}

/** The factors as Okta lists them (pending ones carry their activation), or why Okta could not list them. */
export async function rawFactors (ctx: AppContext, request: FastifyRequest): Promise<UserFactor[] | Unlisted> {
  try {
    return await ctx.directory.factorsOf(request)
  } catch (err) {
    if (!isUpstreamFailure(err)) throw err
    request.log.warn({ code: (err as { code?: string }).code }, 'Okta unavailable while listing factors')
    return new Unlisted(err)
  }
}

/** The factors of the signed-in user as the pages show them, or why Okta could not list them. */
export async function loadFactors (ctx: AppContext, request: FastifyRequest): Promise<FactorView[] | Unlisted> {
  const raw = await rawFactors(ctx, request)
  return raw instanceof Unlisted ? raw : raw.map(factorView)
}

/** What a page that shows the list says in its place when Okta could not give it. */
export function unlistedText (unlisted: Unlisted): string {
  return isUpstreamTimeout(unlisted.err) ? TIMED_OUT.factors : UNAVAILABLE.factors
}

/**
 * The moment to word a failed list read in, for a step about to send a code: nothing was sent, so a timeout is "can't
 * load your sign-in methods", not "can't tell whether your code was sent"; an outage is "can't send you a code".
 */
export function beforeSend (unlisted: Unlisted): 'factors' | 'send' {
  return isUpstreamTimeout(unlisted.err) ? 'factors' : 'send'
}
