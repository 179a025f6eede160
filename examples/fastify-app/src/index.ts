// Public surface of the example, for tests and for readers: buildApp and its options.
export { buildApp, GRAPHQL_PATH, type BuiltApp } from './app.js'
export type { BuildAppOptions } from './options.js'
export { readConfig, decodeSessionKey, ConfigError, type AppConfig } from './config.js'
export { DEMO_USERS, UserStore, type AppUser, type UserSeed } from './users.js'
export { demoSeed, otpauthUri, DEMO_ISSUER, DEMO_PHONE, type DemoInfo } from './demo.js'
