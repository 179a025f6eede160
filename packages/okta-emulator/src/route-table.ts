// Which methods a path is served with, for the answer to a request whose method the path does not
// have: 405 with `Allow` instead of 404. Only consulted on the not-found path and on the few paths a
// fixed name shadows, so a linear scan of the registered routes (a few dozen) is fine.

import type { FastifyReply, FastifyRequest } from 'fastify'
import { methodNotAllowed } from './errors.js'

interface Entry {
  pattern: RegExp
  /** The route's segments, a parameter as `:` and a wildcard as `*`: what decides which of two routes the router prefers. */
  shape: string[]
  method: string
  isPublic: boolean
}

/** The methods at a path, and whether every route there is public (needs no API token). */
export interface MethodsAt {
  methods: string[]
  isPublic: boolean
}

/** A route URL (`/a/:id/b`) as an anchored pattern; a parameter is one non-empty segment, as the router matches it. */
function patternOf (url: string, maxParamLength: number): RegExp {
  const segments = url.replace(/\/+$/, '').split('/').map((s) => {
    if (s.startsWith(':')) return `[^/]{1,${maxParamLength}}`
    if (s === '*') return '.*'
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  })
  return new RegExp(`^${segments.join('/')}$`)
}

const shapeOf = (url: string): string[] =>
  url.replace(/\/+$/, '').split('/').map((s) => s.startsWith(':') ? ':' : s)

/**
 * Whether the router prefers shape `a` to shape `b` for a path both match: at the first segment where
 * they differ, `a` has a fixed name and `b` a parameter or wildcard (find-my-way's static-first order).
 */
function outranks (a: string[], b: string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string
    const y = b[i] as string
    if (x === y) continue
    if (y === '*') return x !== '*'
    return y === ':' && x !== ':' && x !== '*'
  }
  return false
}

/** The path the router matches for `rawUrl`: query ignored, duplicate and trailing slashes tolerated. */
const pathOf = (rawUrl: string): string => {
  const path = (rawUrl.split(/[?#]/, 1)[0] ?? '').replace(/\/{2,}/g, '/')
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/** The registered routes by path pattern. */
export class RouteTable {
  readonly #entries: Entry[] = []

  constructor (private readonly maxParamLength: number) {}

  /** Records a route (called from the onRoute hook). */
  add (url: string, methods: string[], isPublic: boolean): void {
    const pattern = patternOf(url, this.maxParamLength)
    const shape = shapeOf(url)
    for (const method of methods) this.#entries.push({ pattern, shape, method: method.toUpperCase(), isPublic })
  }

  /**
   * The patterns of routes the router prefers to the route at `url` on the paths both match
   * (`/factors/catalog` over `/factors/:factorId`): a request the router gives to `url` on such a
   * path only got there because that path lacks the method. Called once per route, after registration.
   */
  #shadowsOf (url: string): RegExp[] {
    const shape = shapeOf(url)
    return [...new Set(this.#entries.filter((e) => outranks(e.shape, shape)).map((e) => e.pattern))]
  }

  /**
   * The methods routes answer at the path of `rawUrl`: those of the routes the router prefers there
   * (a fixed name over a parameter), so `/factors/catalog` has GET and HEAD, not `/factors/:factorId`'s too.
   */
  at (rawUrl: string): MethodsAt {
    const path = pathOf(rawUrl)
    const matching = this.#entries.filter((e) => e.pattern.test(path))
    const methods = new Set<string>()
    let isPublic = true
    for (const e of matching) {
      if (matching.some((o) => outranks(o.shape, e.shape))) continue
      methods.add(e.method)
      if (!e.isPublic) isPublic = false
    }
    return { methods: [...methods].sort(), isPublic: methods.size > 0 && isPublic }
  }

  /**
   * An onRequest hook for the route at `url`: the router gives `DELETE /factors/catalog` to
   * `/factors/:factorId`, as catalog has no DELETE of its own; such a request is a method the path
   * lacks (405 and `Allow`), not a factor named "catalog". The shadows are read at the first request,
   * once every route is registered; most routes have none.
   */
  shadowGuard (url: string) {
    let shadows: RegExp[] | undefined
    return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
      shadows ??= this.#shadowsOf(url)
      const path = shadows.length === 0 ? '' : pathOf(req.url)
      if (!shadows.some((p) => p.test(path))) {
        done()
        return
      }
      reply.header('allow', this.at(req.url).methods.join(', '))
      done(methodNotAllowed())
    }
  }
}
