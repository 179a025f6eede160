// The command line of `okta-mfa-gateway`: it is configured by environment variables only. `--help` says which and
// `--version` prints the package's version; any other argument is refused, where it was ignored (`--port 4001`
// listened on PORT without a word).
import { createRequire } from 'node:module'

/** What `okta-mfa-gateway --help` prints. */
const USAGE = `Usage: okta-mfa-gateway

Runs the okta-mfa GraphQL gateway. It takes no arguments but --help (-h) and --version: it is configured by
environment variables.
Required: OKTA_ORG_URL, SESSION_KEY, and OKTA_API_TOKEN or an OAuth 2.0 service app (OKTA_CLIENT_ID with
  OKTA_PRIVATE_KEY or OKTA_PRIVATE_KEY_FILE; OKTA_KEY_ID, OKTA_SCOPES, OKTA_DPOP).
Optional: PORT, HOST, REDIS_URL, OKTA_ALLOW_INSECURE_HTTP, OKTA_TIMEOUT_MS, OKTA_PROVISION, GATEWAY_DEVELOPMENT,
  SESSION_COOKIE_NAME, SESSION_COOKIE_SECURE, SESSION_EXPIRY_SECONDS, TRUST_PROXY, LOG_LEVEL, GATEWAY_TOTP_ISSUER,
  MFA_MAX_ATTEMPTS, MFA_ATTEMPT_WINDOW_SECONDS, STEP_UP_MAX_AGE_SECONDS, REMEMBER_DEVICE_DAYS.
Each one, its default and its range: https://github.com/okta-mfa/okta-mfa/tree/main/packages/gateway#readme
`

/**
 * Answers the command line when it has arguments: `--help` (or `-h`) prints the usage and `--version` the version of
 * @okta-mfa/gateway, exit status 0; anything else is one line on stderr, exit status 2. True when it answered (the
 * server must not start), false for no arguments.
 */
export function answeredArguments (args: readonly string[]): boolean {
  if (args.length === 0) return false
  const help = args.length === 1 && (args[0] === '--help' || args[0] === '-h')
  const version = args.length === 1 && args[0] === '--version'
  if (help) process.stdout.write(USAGE)
  // package.json ships in the tarball beside dist/: the version npm installed, not one copied at build time.
  else if (version) process.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`)
  else process.stderr.write(`okta-mfa-gateway takes no arguments (${JSON.stringify(args[0]!.slice(0, 64))}): it is configured by environment variables; okta-mfa-gateway --help lists them\n`)
  process.exitCode = help || version ? 0 : 2
  return true
}
