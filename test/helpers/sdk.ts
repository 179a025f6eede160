// What the official Okta SDK (@okta/okta-sdk-nodejs) throws, as the tests that drive it read it.

/** The fields of an SDK error the tests check. */
export interface SdkError { status?: number, errorCode?: string, message?: string, errorCauses?: Array<{ errorSummary: string }> }

/** The error an SDK call rejects with; fails the test when the call succeeds. */
export async function sdkError (p: Promise<unknown>): Promise<SdkError> {
  try {
    await p
  } catch (err) {
    return err as SdkError
  }
  throw new Error('expected the SDK call to fail')
}
