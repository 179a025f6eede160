// startEmulator: validates options, restores state, seeds, listens, and returns the handle
// tests use (url, token, close, the outbox and the TOTP helper).
import { randomBytes } from 'node:crypto'
import type { Ctx } from './context.js'
import { activatePush, factorSecret, settlePush, totpCode } from './helpers.js'
import { createOAuthState, oauthHandle } from './oauth/setup.js'
import type { OAuthState } from './oauth/state.js'
import { checkFilter, Outbox } from './outbox.js'
import { DEFAULT_MAX_USERS, isUsableToken, OPTION_RANGES } from './limits.js'
import { checkRateLimitOptions } from './rate-limit.js'
import { applySeed, loadSeed, seedJson, SEED_JSON } from './seed.js'
import { buildServer } from './server.js'
import { loginKey, Store, TOKEN_OWNER_LOGIN } from './store.js'
import type { Emulator, EmulatorOptions, SeedUser } from './types.js'
import type { FastifyInstance } from 'fastify'
import { InvalidOptionError } from './invalid-option.js'

function int (name: keyof typeof OPTION_RANGES, v: unknown): void {
  const [min, max] = OPTION_RANGES[name]
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) {
    throw new InvalidOptionError(`"${name}" option must be an integer between ${min} and ${max}`)
  }
}

/**
 * Checks options, throwing TypeError naming the first bad one: every option, the seed's users and service apps too
 * (a seed file is read), so what passes here starts.
 */
export function validateOptions (o: EmulatorOptions): void {
  checkedOptions(o)
}

/** The checked options' seed users and OAuth state, built once for {@link buildEmulator}. */
function checkedOptions (o: EmulatorOptions): { seed: SeedUser[] | undefined, oauth: OAuthState } {
  checkScalarOptions(o)
  // Read once: the users and the service apps come from the same read (a pipe has no second one).
  const json = o.seed === undefined ? undefined : SEED_JSON in o ? (o as { [SEED_JSON]: unknown })[SEED_JSON] : seedJson(o.seed)
  const seed = o.seed === undefined ? undefined : loadSeed(o.seed, json)
  // The token's owner may be one past the cap, as the store allows it.
  const maxUsers = (o.maxUsers ?? DEFAULT_MAX_USERS) + (seed?.some((u) => loginKey(u.login) === loginKey(TOKEN_OWNER_LOGIN)) === true ? 1 : 0)
  if (seed !== undefined && seed.length > maxUsers) throw new InvalidOptionError(`"seed" option: ${seed.length} users, more than "maxUsers" allows (${maxUsers})`)
  return { seed, oauth: createOAuthState(o, o.clock ?? Date.now, json) }
}

function checkScalarOptions (o: EmulatorOptions): void {
  if (typeof o !== 'object' || o === null) throw new InvalidOptionError('options must be an object')
  // A misspelt option (say "lockoutTreshold") would otherwise leave its default in place without a word.
  const unknown = Object.keys(o).find((key) => !Object.hasOwn(OPTION_NAMES, key))
  if (unknown !== undefined) throw new InvalidOptionError(`${JSON.stringify(unknown.slice(0, 64))} is not an option of the emulator`)
  for (const name of ['rejectReplayedCodes', 'logger', 'quiet', 'dpopApiNonce'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new InvalidOptionError(`"${name}" option must be a boolean`)
  }
  for (const name of Object.keys(OPTION_RANGES) as Array<keyof typeof OPTION_RANGES>) int(name, o[name])
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw new InvalidOptionError('"host" option must be a non-empty string')
  if (o.token !== undefined && !isUsableToken(o.token)) {
    throw new InvalidOptionError('"token" option must be a non-empty string of visible ASCII without spaces')
  }
  if (o.clock !== undefined && typeof o.clock !== 'function') throw new InvalidOptionError('"clock" option must be a function returning ms since the epoch')
  if (o.dataFile !== undefined && (typeof o.dataFile !== 'string' || o.dataFile === '')) throw new InvalidOptionError('"dataFile" option must be a file path')
  if (o.issuer !== undefined && (typeof o.issuer !== 'string' || o.issuer === '')) throw new InvalidOptionError('"issuer" option must be a non-empty string')
  checkRateLimitOptions(o.rateLimits)
}

/** Every option of the emulator: the type keeps this list and {@link EmulatorOptions} the same. */
const OPTION_NAMES: Record<keyof EmulatorOptions, true> = {
  port: true, host: true, token: true, clock: true, dataFile: true, seed: true, totpWindow: true, lockoutThreshold: true,
  rejectReplayedCodes: true, rateLimits: true, logger: true, quiet: true, issuer: true, bodyLimit: true, maxUsers: true,
  maxMessages: true, maxOAuthRecords: true, serviceApps: true, dpopApiNonce: true,
}

/** An emulator app that is built but not listening (for `app.inject` tests and embedding). */
export interface BuiltEmulator extends Omit<Emulator, 'url' | 'close'> {
  /** The Fastify app serving the emulated API, not listening (for `app.inject` tests and embedding). */
  app: FastifyInstance
}

/**
 * Builds the emulator without listening.
 * @example const { app, token } = buildEmulator({ token: 't' }); await app.inject({ url: '/api/v1/users', headers: { authorization: 'SSWS t' } })
 */
export function buildEmulator (options: EmulatorOptions = {}): BuiltEmulator {
  const checked = checkedOptions(options)
  const token = options.token ?? randomBytes(24).toString('base64url')
  const clock = options.clock ?? Date.now
  const ctx: Ctx = {
    store: new Store(options.dataFile, options.maxUsers),
    clock,
    outbox: new Outbox(options.quiet !== true, options.maxMessages),
    totpWindow: options.totpWindow ?? 1,
    lockoutThreshold: options.lockoutThreshold ?? 5,
    rejectReplayedCodes: options.rejectReplayedCodes ?? true,
    issuer: options.issuer ?? 'Okta Emulator',
  }
  const oauth = checked.oauth
  let app: FastifyInstance
  try {
    if (checked.seed !== undefined) applySeed(ctx, checked.seed)
    app = buildServer(ctx, {
      oauth,
      token,
      rateLimits: options.rateLimits,
      logger: options.logger ?? false,
      bodyLimit: options.bodyLimit ?? 1024 * 1024,
    })
  } catch (err) {
    ctx.store.release()
    throw err
  }
  // The data file is this emulator's until its server is closed.
  app.addHook('onClose', async () => { ctx.store.release() })
  return {
    app,
    token,
    messages: (filter) => {
      checkFilter(filter, 'messages')
      return ctx.outbox.find(filter)
    },
    lastMessage: (filter) => {
      checkFilter(filter, 'lastMessage')
      return ctx.outbox.find(filter).at(-1)
    },
    clearMessages: () => ctx.outbox.clear(),
    totpCode: (factorId, atMs) => totpCode(ctx, factorId, atMs),
    factorSecret: (factorId) => factorSecret(ctx, factorId),
    activatePush: (factorId) => activatePush(ctx, factorId),
    approvePush: (transactionId) => { settlePush(ctx, transactionId, 'SUCCESS') },
    rejectPush: (transactionId) => { settlePush(ctx, transactionId, 'REJECTED') },
    oauth: oauthHandle(oauth),
  }
}

/**
 * Starts a local Okta org on loopback.
 * @example
 * const emu = await startEmulator({ port: 0, token: 'test-token' })
 * // orgUrl: emu.url, token: emu.token ... then: await emu.close()
 */
export async function startEmulator (options: EmulatorOptions = {}): Promise<Emulator> {
  const built = buildEmulator(options)
  const host = options.host ?? '127.0.0.1'
  try {
    await built.app.listen({ port: options.port ?? 7070, host })
  } catch (err) {
    await built.app.close() // gives the data file back
    throw err
  }
  const addr = built.app.server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : options.port ?? 7070
  // Listening on every address: the URL names loopback, the address a client on this machine reaches it by (a client
  // refuses a plain-http org URL beyond loopback, and 0.0.0.0 is no address to connect to).
  const bound = typeof addr === 'object' && addr !== null ? addr.address : host // '::1', '0.0.0.0', '::' as Node spells them
  const reachable = bound === '0.0.0.0' ? '127.0.0.1' : bound === '::' ? '::1' : host
  const urlHost = reachable.includes(':') ? `[${reachable}]` : reachable
  const { app, ...helpers } = built
  return {
    ...helpers,
    url: `http://${urlHost}:${port}`,
    close: async () => { await app.close() },
  }
}
