// Test helpers for the client's failure branches: one MockAgent per test with net connect disabled,
// and the headers Okta puts on every JSON response.
import { MockAgent } from 'undici'
import type { Interceptable } from 'undici'
import { createOktaClient } from '@okta-mfa/client'
import type { OktaClient, OktaClientOptions } from '@okta-mfa/client'

/** The fake org every mock test talks to. */
export const ORG = 'https://dev-123456.okta.com'
/** A recognisable token, so a test can search any output for it. */
export const TOKEN = '00sEcReT-ApiToken_ZZqq9817xyW'

/** Headers of a normal Okta JSON response. */
export function jsonHeaders (requestId = 'reqid-1'): Record<string, string> {
  return { 'content-type': 'application/json', 'x-okta-request-id': requestId }
}

/** An Okta error body with all five fields. */
export function oktaErrorBody (errorCode: string, errorSummary: string, causes: string[] = []): Record<string, unknown> {
  return {
    errorCode,
    errorSummary,
    errorLink: errorCode,
    errorId: 'oaeAbCdEfGhIjKlMnOpQrStU',
    errorCauses: causes.map((s) => ({ errorSummary: s })),
  }
}

/** A mocked org: the agent, the interceptable pool of ORG, and a client using them. */
export interface Mocked {
  agent: MockAgent
  pool: Interceptable
  client: OktaClient
}

interface Teardown { teardown: (fn: () => unknown) => void }

/** A client on a fresh MockAgent (net connect disabled), closed at the end of the test. */
export function mockOrg (t: Teardown, options: Partial<OktaClientOptions> = {}): Mocked {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const pool = agent.get(ORG)
  const client = createOktaClient({ orgUrl: ORG, token: TOKEN, dispatcher: agent, ...options } as OktaClientOptions)
  t.teardown(async () => {
    await client.close()
    await agent.close()
  })
  return { agent, pool, client }
}
