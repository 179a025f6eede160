#!/usr/bin/env node
// okta-emulator: runs a local Okta org. Prints one machine-readable line
// `okta-emulator listening url=<url> token=<token>` (tests and scripts parse it), then a
// human-readable summary. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { startEmulator } from './emulator.js'
import { isUsableToken, OPTION_RANGES } from './limits.js'
import { parseServiceAppArg, seedServiceApps } from './oauth/apps.js'
import { seedJson, SEED_JSON } from './seed.js'
import type { EmulatorOptions, ServiceApp } from './types.js'

const HELP = `Usage: okta-emulator [options]

  --port N               TCP port (default 7070; 0 = any free port)
  --host HOST            interface to listen on (default 127.0.0.1)
  --token TOKEN          SSWS API token (default $OKTA_EMULATOR_TOKEN, else a random one, printed)
  --data FILE            keep state in FILE across restarts
  --seed FILE            preload users from a JSON array, or { users, serviceApps } (see README)
  --service-app SPEC     register an OAuth service app, CLIENT_ID:JWK_FILE:SCOPE[,SCOPE...][:no-dpop]
                         (JWK_FILE: a public JWK or JWKS; DPoP required unless no-dpop);
                         repeatable, each CLIENT_ID once
  --dpop-api-nonce       DPoP-bound API calls must carry a server nonce (401 use_dpop_nonce)
  --totp-window N        TOTP steps accepted either side of now (default 1)
  --lockout-threshold N  failed verifications that lock a user (default 5; 0 = off)
  --no-rate-limits       turn rate limits off (load tests)
  --max-users N          most users held; more are refused (default 100000)
  --max-messages N       outbox messages kept, oldest dropped first (default 10000)
  --max-oauth-records N  access tokens kept, and assertion and DPoP proof ids
                         remembered, each; oldest dropped first (default 100000)
  --quiet                do not print sms/call/email codes
  --version              print the version of @okta-mfa/emulator
  --help, -h             this text
`

function fail (message: string): never {
  process.stderr.write(`okta-emulator: ${message}\n\n${HELP}`)
  process.exit(2)
}

/** An integer argument within the range of its option (`--max-users` = `maxUsers`): a usage error (exit 2) otherwise. */
function intArg (option: keyof typeof OPTION_RANGES, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const name = option.replace(/[A-Z]+/g, (c) => `-${c.toLowerCase()}`)
  const [min, max] = OPTION_RANGES[option]
  if (/^-\d+$/.test(v)) fail(`--${name} must be between ${min} and ${max}, got ${v.length > 20 ? `${v.slice(0, 20)}...` : v}`)
  if (!/^\d+$/.test(v)) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(v.slice(0, 64))}`)
  const n = Number(v)
  if (n < min || n > max) fail(`--${name} must be between ${min} and ${max}, got ${v.length > 20 ? `${v.slice(0, 20)}...` : v}`)
  return n
}

/** A non-empty string argument: `--host ''` or `--data ''` is a usage error (exit 2). */
function stringArg (name: string, v: string | undefined): string | undefined {
  if (v === '') fail(`--${name} must not be empty`)
  return v
}

/**
 * The client ids of every service app the emulator will register: `--service-app` ones, then the
 * seed file's (its JSON, read once). A client id given twice is a usage error (only one of the two apps could work).
 * A seed whose `serviceApps` is not a list is left to the emulator's start (exit 1).
 */
function registeredAppIds (cliApps: readonly ServiceApp[], seed: string | undefined, json: unknown): string[] {
  const ids: string[] = []
  for (const app of cliApps) {
    if (ids.includes(app.clientId)) fail(`--service-app: client id ${app.clientId} is given twice`)
    ids.push(app.clientId)
  }
  if (seed === undefined) return ids
  let seeded: ServiceApp[]
  try {
    seeded = seedServiceApps(json)
  } catch {
    return ids
  }
  const fromCli = new Set(ids)
  for (const app of seeded) {
    const id = (app as { clientId?: unknown } | null)?.clientId
    if (typeof id !== 'string') continue // the emulator names it when it starts
    if (fromCli.has(id)) fail(`--service-app: client id ${id} is also a service app of the seed file ${seed}`)
    if (!ids.includes(id)) ids.push(id)
  }
  return ids
}

/** Options whose value is a number. */
const NUMBER_OPTIONS = new Set(['--port', '--totp-window', '--lockout-threshold', '--max-users', '--max-messages', '--max-oauth-records'])

/** Every option of the command line, as typed. */
const OPTION_FLAGS = new Set(['--port', '--host', '--token', '--data', '--seed', '--service-app', '--dpop-api-nonce', '--totp-window',
  '--lockout-threshold', '--no-rate-limits', '--max-users', '--max-messages', '--max-oauth-records', '--quiet', '--help', '-h', '--version'])

/**
 * `['--port', '-1']` as `['--port=-1']`: parseArgs would take `-1` for an option and call the value missing. So too a
 * token that starts with a dash (`--token -abc`), unless what follows is another option (`--token --port`: no value).
 */
function joinNegativeValues (args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const next = args[i + 1]
    const dashToken = arg === '--token' && next !== undefined && next.startsWith('-') && !OPTION_FLAGS.has(next.split('=')[0]!)
    if (dashToken || (NUMBER_OPTIONS.has(arg) && next !== undefined && /^-\d/.test(next))) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}

async function main (): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({
      // `--port -1`: a negative number is the option's value (refused with its range below), not another option.
      args: joinNegativeValues(process.argv.slice(2)),
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        data: { type: 'string' },
        seed: { type: 'string' },
        'service-app': { type: 'string', multiple: true },
        'dpop-api-nonce': { type: 'boolean' },
        'totp-window': { type: 'string' },
        'lockout-threshold': { type: 'string' },
        'no-rate-limits': { type: 'boolean' },
        'max-users': { type: 'string' },
        'max-messages': { type: 'string' },
        'max-oauth-records': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    // One line, and never an argument's value: a stray one may be a token the shell split off (`--port 0 $TOKEN`).
    const { code, message } = err as Error & { code?: string }
    fail(code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
      ? 'takes no positional arguments: each value follows its option (--token TOKEN)'
      : message.split('\n')[0]!.replace(/ argument is ambiguous\.$/, ' needs a value (--option=-value for one that starts with a dash)'))
  }
  if (values.help === true) {
    process.stdout.write(HELP)
    return
  }
  if (values.version === true) {
    // package.json ships in the tarball beside dist/: the version npm installed, not one copied at build time.
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string }
    process.stdout.write(`${version}\n`)
    return
  }
  // A harness may read the listening line and close the pipe: what the console would have shown next (an sms code) is
  // lost, not the emulator, which an unhandled EPIPE would end in the middle of a request.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  const envToken = process.env['OKTA_EMULATOR_TOKEN']
  const options: EmulatorOptions = {
    port: intArg('port', values.port) ?? 7070,
    host: stringArg('host', values.host) ?? '127.0.0.1',
    quiet: values.quiet === true,
  }
  // The token is never echoed: only where it came from and what is wrong with it.
  if (values.token !== undefined && !isUsableToken(values.token)) fail('--token must be non-empty visible ASCII without spaces')
  const fromEnv = values.token === undefined && envToken !== undefined && envToken !== ''
  if (fromEnv && !isUsableToken(envToken)) fail('OKTA_EMULATOR_TOKEN must be visible ASCII without spaces')
  const token = values.token ?? (fromEnv ? envToken : undefined)
  if (token !== undefined) options.token = token
  const data = stringArg('data', values.data)
  if (data !== undefined) options.dataFile = data
  const seed = stringArg('seed', values.seed)
  const totpWindow = intArg('totpWindow', values['totp-window'])
  if (totpWindow !== undefined) options.totpWindow = totpWindow
  const lockout = intArg('lockoutThreshold', values['lockout-threshold'])
  if (lockout !== undefined) options.lockoutThreshold = lockout
  if (values['no-rate-limits'] === true) options.rateLimits = false
  const maxUsers = intArg('maxUsers', values['max-users'])
  if (maxUsers !== undefined) options.maxUsers = maxUsers
  const maxMessages = intArg('maxMessages', values['max-messages'])
  if (maxMessages !== undefined) options.maxMessages = maxMessages
  const maxOAuthRecords = intArg('maxOAuthRecords', values['max-oauth-records'])
  if (maxOAuthRecords !== undefined) options.maxOAuthRecords = maxOAuthRecords
  try {
    if (values['service-app'] !== undefined) options.serviceApps = values['service-app'].map(parseServiceAppArg)
  } catch (err) {
    fail((err as Error).message)
  }
  // Read once, after every usage check (exit 2 before anything is read): a pipe (`--seed <(jq ...)`, `/dev/stdin`)
  // has nothing left for a second read.
  let json: unknown
  if (seed !== undefined) {
    options.seed = seed
    try {
      json = seedJson(seed)
    } catch (err) {
      process.stderr.write(`okta-emulator: ${(err as Error).message}\n`)
      process.exit(1)
    }
    Object.defineProperty(options, SEED_JSON, { value: json })
  }
  const appIds = registeredAppIds(options.serviceApps ?? [], seed, json)
  if (values['dpop-api-nonce'] === true) options.dpopApiNonce = true

  let emu
  try {
    emu = await startEmulator(options)
  } catch (err) {
    process.stderr.write(`okta-emulator: ${(err as Error).message}\n`)
    process.exit(1)
  }
  // Ready for a signal before saying so: a supervisor may stop the emulator as soon as it reads the line below.
  const stop = (): void => {
    emu.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  // A data file past a file size limit (ulimit -f): the write fails (EFBIG) and is undone, as on a full disk, rather
  // than the kernel's SIGXFSZ ending the process.
  process.on('SIGXFSZ', () => {})
  process.stdout.write(`okta-emulator listening url=${emu.url} token=${emu.token}\n` +
    `\n  Okta org URL: ${emu.url}\n  API token:    ${emu.token}  (send "Authorization: SSWS ${emu.token}")\n` +
    `  Outbox:       ${emu.url}/__emulator/messages\n` +
    (appIds.length === 0 ? '' : `  OAuth:        ${emu.url}/oauth2/v1/token for ${appIds.join(', ')}\n`) +
    (options.dataFile === undefined ? '  State:        in memory\n' : `  State:        ${options.dataFile}\n`) + '\n')
}

await main()
