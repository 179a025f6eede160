// The OAuth 2.0 scope each Users and Factors operation requires, as Okta's OpenAPI spec lists it
// (`security: - oauth2: [...]` of each operation in the vendored users-subset.yaml and
// factors-subset.yaml; test/oauth/scopes.test.ts checks this table against those files).
// Paths use `{}` for every parameter. `null` = the spec says `x-okta-no-scope-required`.

/**
 * Okta's scopes for the Users API (the Factors API uses the same two), and those of the user schema and user type
 * that a user's `_links.schema` and `_links.type` lead to.
 */
export type UsersScope = 'okta.users.read' | 'okta.users.manage' | 'okta.schemas.read' | 'okta.userTypes.read'

/** `METHOD path` → the scope Okta requires (from the OpenAPI spec). */
export const SPEC_SCOPES: Readonly<Record<string, UsersScope | null>> = Object.freeze({
  'GET /api/v1/users': 'okta.users.read',
  'POST /api/v1/users': 'okta.users.manage',
  'GET /api/v1/users/{}': 'okta.users.read',
  'POST /api/v1/users/{}': 'okta.users.manage',
  'PUT /api/v1/users/{}': 'okta.users.manage',
  'DELETE /api/v1/users/{}': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/activate': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/deactivate': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/reactivate': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/reset_factors': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/suspend': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/unlock': 'okta.users.manage',
  'POST /api/v1/users/{}/lifecycle/unsuspend': 'okta.users.manage',
  'GET /api/v1/users/{}/factors': 'okta.users.read',
  'POST /api/v1/users/{}/factors': 'okta.users.manage',
  'GET /api/v1/users/{}/factors/catalog': 'okta.users.read',
  'GET /api/v1/users/{}/factors/questions': null,
  'GET /api/v1/users/{}/factors/{}': 'okta.users.read',
  'DELETE /api/v1/users/{}/factors/{}': 'okta.users.manage',
  'POST /api/v1/users/{}/factors/{}/lifecycle/activate': 'okta.users.manage',
  'POST /api/v1/users/{}/factors/{}/resend': 'okta.users.manage',
  'GET /api/v1/users/{}/factors/{}/transactions/{}': 'okta.users.read',
  'POST /api/v1/users/{}/factors/{}/verify': 'okta.users.manage',
})

/**
 * The operations a user's `_links.schema` and `_links.type` lead to, from Okta's Schemas API and User Types API (not
 * in the vendored subset, whose security schemes name these two scopes): each needs its API's own read scope.
 */
export const META_SCOPES: Readonly<Record<string, UsersScope>> = Object.freeze({
  'GET /api/v1/meta/schemas/user/{}': 'okta.schemas.read',
  'GET /api/v1/meta/types/user/{}': 'okta.userTypes.read',
})

/** A route path with every `:param` or `{param}` written `{}`. */
export function normalizeRoute (url: string): string {
  return url.replace(/:[^/]+|\{[^}]+\}/g, '{}').replace(/\/+$/, '')
}

/**
 * The scope a route needs: the spec's (or {@link META_SCOPES}'), else (an operation the spec subset does not list, such as
 * the activation poll) `okta.users.read` for a GET under /api/v1/users and `okta.users.manage` for
 * anything else there; `null` outside /api/v1/users and /api/v1/meta (the emulator's own routes) or
 * where no scope is required.
 */
export function scopeFor (method: string, url: string): UsersScope | null {
  const path = normalizeRoute(url)
  const key = `${method.toUpperCase()} ${path}`
  if (key in SPEC_SCOPES) return SPEC_SCOPES[key] ?? null
  const meta = META_SCOPES[key.replace(/^HEAD /, 'GET ')]
  if (meta !== undefined) return meta
  if (!path.startsWith('/api/v1/users')) return null
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'okta.users.read' : 'okta.users.manage'
}

/** True when `granted` covers `required` (a `.manage` scope includes its `.read`). */
export function covers (granted: ReadonlySet<string>, required: UsersScope): boolean {
  if (granted.has(required)) return true
  return required.endsWith('.read') && granted.has(`${required.slice(0, -'.read'.length)}.manage`)
}
