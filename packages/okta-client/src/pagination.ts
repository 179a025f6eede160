/**
 * `Link` header parsing (RFC 8288) for Okta's cursor pagination:
 * `Link: <https://org/api/v1/users?limit=2>; rel="self", <https://org/api/v1/users?after=00u…&limit=2>; rel="next"`.
 *
 * @module
 */

/**
 * One link of a `Link` header.
 *
 * @example
 * ```ts
 * const link: ParsedLink = { url: 'https://o/api/v1/users?after=x', rel: ['next'], params: { rel: 'next' } }
 * ```
 */
export interface ParsedLink {
  url: string
  rel: string[]
  params: Record<string, string>
}

/**
 * Parses every link of one or more `Link` header values. Malformed entries are skipped.
 *
 * @example
 * ```ts
 * parseLinkHeader('<https://x/api/v1/users?after=a>; rel="next"')[0]?.url // 'https://x/api/v1/users?after=a'
 * ```
 */
export function parseLinkHeader (header: string | string[] | undefined): ParsedLink[] {
  if (header === undefined) return []
  const values = Array.isArray(header) ? header : [header]
  const links: ParsedLink[] = []
  for (const value of values) {
    // The URL sits between < and >, so split on the commas outside them.
    // `[^<>]`: a `<` without its `>` ends the scan at the next `<`, so a hostile header costs linear time, not quadratic.
    const re = /<([^<>]*)>((?:\s*;\s*[^;,]+(?:=(?:"[^"]*"|[^;,]*))?)*)/g
    for (const m of value.matchAll(re)) {
      const url = m[1] ?? ''
      const params: Record<string, string> = {}
      for (const p of (m[2] ?? '').split(';')) {
        const eq = p.indexOf('=')
        if (eq === -1) continue
        const key = p.slice(0, eq).trim().toLowerCase()
        const raw = p.slice(eq + 1).trim()
        params[key] = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw
      }
      links.push({ url, rel: (params['rel'] ?? '').split(/\s+/).filter(Boolean).map((r) => r.toLowerCase()), params })
    }
  }
  return links
}

/**
 * The URL of the `rel="next"` link, or undefined on the last page.
 *
 * @example
 * ```ts
 * nextLink(response.headers.link) // 'https://dev-1.okta.com/api/v1/users?after=00u…&limit=200'
 * ```
 */
export function nextLink (header: string | string[] | undefined): string | undefined {
  return parseLinkHeader(header).find((l) => l.rel.includes('next'))?.url
}
