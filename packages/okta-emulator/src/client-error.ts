// The answer to HTTP that Node's parser refuses before it is a request (a header block over Node's limit, a bad
// Content-Length, a request that took too long): Okta's error body and headers, written straight to the socket.
import { OktaError } from './errors.js'

const STATUS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  // Not Node's code: an `Expect` other than `100-continue`, which Node refuses before it is a request.
  EXPECTATION_FAILED: [417, 'Expectation Failed'],
}

/**
 * The raw HTTP response for a client error of Node's `code`: 431 for an over-long header block, 408 for a request
 * that took too long, 417 for an expectation it cannot meet (`EXPECTATION_FAILED`), 400 otherwise, each with Okta's error body (E0000020 "Bad request.") and `headers`.
 */
export function clientErrorAnswer (code: string | undefined, headers: Readonly<Record<string, string | number>>): string {
  const [status, reason] = (code === undefined ? undefined : STATUS[code]) ?? [400, 'Bad Request']
  const body = JSON.stringify(new OktaError(status, 'E0000020', 'Bad request.').toBody())
  let head = `HTTP/1.1 ${status} ${reason}\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  return `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
}
