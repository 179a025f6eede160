#!/usr/bin/env node
// `node examples/fastify-app/dist/totp-cli.js <key>`: an authenticator app in the terminal, for trying the demo
// without a phone. Prints the current code of a base32 key (the "manual key" of the setup page).
import { totpCodeOf } from '@okta-mfa/emulator'

const key = process.argv.slice(2).join('')
if (key === '') {
  console.error('usage: node examples/fastify-app/dist/totp-cli.js <base32 key>   (spaces allowed)')
  process.exit(2)
}
try {
  const now = Date.now()
  console.log(`${totpCodeOf(key, now)}   (changes in ${30 - Math.floor(now / 1000) % 30} s)`)
} catch (err) {
  console.error((err as Error).message)
  process.exit(2)
}
