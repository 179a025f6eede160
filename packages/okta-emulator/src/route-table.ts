// Which methods a path is served with, for the answer to a request whose method the path does not
// have: 405 with `Allow` instead of 404. Only consulted on the not-found path, so a linear scan of
// the registered routes (a few dozen) is fine.

interface Entry {
  pattern: RegExp
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

/** The registered routes by path pattern. */
export class RouteTable {
  readonly #entries: Entry[] = []

  constructor (private readonly maxParamLength: number) {}

  /** Records a route (called from the onRoute hook). */
  add (url: string, methods: string[], isPublic: boolean): void {
    const pattern = patternOf(url, this.maxParamLength)
    for (const method of methods) this.#entries.push({ pattern, method: method.toUpperCase(), isPublic })
  }

  /** The methods routes answer at the path of `rawUrl` (query ignored, duplicate and trailing slashes tolerated, as the router does). */
  at (rawUrl: string): MethodsAt {
    let path = (rawUrl.split(/[?#]/, 1)[0] ?? '').replace(/\/{2,}/g, '/')
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
    const methods = new Set<string>()
    let isPublic = true
    for (const e of this.#entries) {
      if (!e.pattern.test(path)) continue
      methods.add(e.method)
      if (!e.isPublic) isPublic = false
    }
    return { methods: [...methods].sort(), isPublic: methods.size > 0 && isPublic }
  }
}
