// What a user's `schema` and `type` links lead to (the org's one default user schema and user
// type), and two Users API reads with nothing to report in an emulator: the user's app links (no
// apps: `[]`) and clearing the user's sessions (no sessions: 204).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { baseUrl, iso, noContent, type Ctx } from '../context.js'
import { notFound } from '../errors.js'
import { PROFILE_ATTRIBUTES, SCHEMA_ID, USER_TYPE_ID, profileLengths } from '../users-model.js'
import { userOr404 } from './users.js'

type Req = FastifyRequest<{ Params: { id: string } }>

/** When the org's default schema and type were "created" (fixed: they are part of the org). */
const ORG_CREATED = Date.UTC(2024, 0, 1)
// What the emulator requires and bounds, from its own tables: Okta's default schema also requires firstName and
// lastName, which the emulator leaves optional (README), so the schema served says so.
const REQUIRED = ['login', 'email']
const TITLES: Record<string, string> = { login: 'Username', email: 'Primary email', secondEmail: 'Secondary email', firstName: 'First name', lastName: 'Last name' }

/** `minLength` (when above 0) and `maxLength` of an attribute, as `checkProfile` enforces them. */
function lengthsOf (name: string): { minLength?: number, maxLength?: number } {
  const bounds = profileLengths(name)
  return bounds[0] > 0 ? { minLength: bounds[0], maxLength: bounds[1] } : { maxLength: bounds[1] }
}

function schemaBody (base: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const name of PROFILE_ATTRIBUTES) {
    properties[name] = {
      title: TITLES[name] ?? name.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase()),
      type: 'string',
      ...(REQUIRED.includes(name) ? { required: true } : {}),
      ...lengthsOf(name),
      ...(name === 'login' ? { pattern: '.+' } : {}),
      ...(name === 'email' || name === 'secondEmail' ? { format: 'email' } : {}),
      mutability: 'READ_WRITE',
      scope: 'NONE',
      permissions: [{ principal: 'SELF', action: 'READ_WRITE' }],
      master: { type: 'PROFILE_MASTER' },
    }
  }
  const self = `${base}/api/v1/meta/schemas/user/${SCHEMA_ID}`
  return {
    id: self,
    $schema: 'http://json-schema.org/draft-04/schema#',
    name: 'user',
    title: 'User',
    description: 'Okta user profile template with default permission settings',
    lastUpdated: iso(ORG_CREATED),
    created: iso(ORG_CREATED),
    definitions: {
      custom: { id: '#custom', type: 'object', properties: {}, required: [] },
      base: { id: '#base', type: 'object', properties, required: REQUIRED },
    },
    type: 'object',
    properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
    _links: { self: { rel: 'self', href: self, method: 'GET' }, type: { rel: 'self', href: `${base}/api/v1/meta/types/user/${USER_TYPE_ID}`, method: 'GET' } },
  }
}

function typeBody (base: string): Record<string, unknown> {
  return {
    id: USER_TYPE_ID,
    displayName: 'User',
    name: 'user',
    description: 'Okta user profile template with default permission settings',
    createdBy: null,
    lastUpdatedBy: null,
    created: iso(ORG_CREATED),
    lastUpdated: iso(ORG_CREATED),
    default: true,
    _links: {
      schema: { rel: 'schema', href: `${base}/api/v1/meta/schemas/user/${SCHEMA_ID}`, method: 'GET' },
      self: { rel: 'self', href: `${base}/api/v1/meta/types/user/${USER_TYPE_ID}`, method: 'GET' },
    },
  }
}

/** Registers the schema, type, app-links, blocks, groups and sessions routes. */
export function metaRoutes (app: FastifyInstance, ctx: Ctx): void {
  const user = { config: { bucket: 'user' as const } }
  app.get('/api/v1/meta/schemas/user/:id', user, (req: Req) => {
    if (req.params.id !== SCHEMA_ID && req.params.id !== 'default') throw notFound(req.params.id, 'Path')
    return schemaBody(baseUrl(req))
  })
  app.get('/api/v1/meta/types/user/:id', user, (req: Req) => {
    if (req.params.id !== USER_TYPE_ID && req.params.id !== 'default') throw notFound(req.params.id, 'Path')
    return typeBody(baseUrl(req))
  })
  app.get('/api/v1/users/:id/appLinks', user, (req: Req) => {
    userOr404(ctx, req.params.id)
    return []
  })
  // Okta's "List all user blocks": the emulator never blocks a device or location (as `expand=blocks` says).
  app.get('/api/v1/users/:id/blocks', user, (req: Req) => {
    userOr404(ctx, req.params.id)
    return []
  })
  // Okta's "Get Groups for User" (its Postman collection): the emulator has no groups.
  app.get('/api/v1/users/:id/groups', user, (req: Req) => {
    userOr404(ctx, req.params.id)
    return []
  })
  app.delete('/api/v1/users/:id/sessions', user, (req: Req, reply: FastifyReply) => {
    userOr404(ctx, req.params.id)
    noContent(reply)
  })
}
