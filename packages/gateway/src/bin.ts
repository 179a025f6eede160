#!/usr/bin/env node
// The `okta-mfa-gateway` command: always runs the server. dist/server.js runs it only when it is the entry point
// itself, which a path without `.js`, a symlink farm or a wrapper importing it could hide (then nothing started, and
// the process exited 0 without a word).
import { runMain } from './server.js'

runMain()
