// /mfa/enroll: set up a factor. public/enroll.js drives the gateway's GraphQL (enrollFactor, then
// activateFactor with the first code); this page is the markup it fills in, plus the texts it shows.
import { SafeHtml, html, notice, page } from './layout.js'

/** What the enrollment page needs. */
export interface EnrollView {
  csrf: string
  userName: string
  /** Where the gateway listens. */
  graphqlPath: string
  /** Where to go once the factor is active and MFA is complete. */
  doneHref: string
  /** True when the emulator runs in-process: the sms step says where the code went. */
  emulator: boolean
  /** Failure code → sentence, for the script (the same table the server uses). */
  messages: Record<string, string>
  /** The name authenticator apps show for the account (the Okta login). */
  accountName: string
  /** The session already has MFA (adding a second factor). */
  mfaDone: boolean
  /** Shown above the choices (e.g. "already set up"). */
  info?: string | undefined
}

/** JSON for a `<script type="application/json">` block: `<` escaped so the text cannot close the element. */
function jsonBlock (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

/** The enrollment page. */
export function enrollPage (view: EnrollView): string {
  const body = html`
  <section class="card" id="enroll" data-csrf="${view.csrf}" data-graphql="${view.graphqlPath}" data-done="${view.doneHref}">
    <h1>Set up two-step sign-in</h1>
    ${notice('info', view.info)}
    <noscript><div class="notice notice-error" role="alert">Setting up a factor needs JavaScript. Turn it on and reload this page.</div></noscript>
    <div id="enroll-error" class="notice notice-error" role="alert" data-testid="error" hidden></div>
    <div id="enroll-status" class="notice notice-info" role="status" hidden></div>

    <div id="step-choose">
      <p>How do you want to get your sign-in codes?</p>
      <div class="choice-buttons">
        <button type="button" id="choose-totp" class="primary">Authenticator app <span class="sub">recommended</span></button>
        <button type="button" id="choose-sms" class="secondary">Text message</button>
      </div>
    </div>

    <div id="step-totp" hidden>
      <ol class="steps">
        <li>Open an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, 1Password, Authy…) and add an account.</li>
        <li>Scan this QR code:
          <div class="qr"><img id="qr" alt="QR code for your authenticator app. If you cannot scan it, use the key below." width="220" height="220"></div>
          <details id="manual" open>
            <summary>Can't scan? Enter this key instead</summary>
            <p class="hint">Account: <strong>${view.accountName}</strong>, type: time-based. Spaces don't matter.</p>
            <p class="key-row"><code id="manual-key" data-testid="manual-key" class="key"></code>
              <button type="button" id="copy-key" class="link">Copy</button></p>
          </details>
        </li>
        <li>
          <form id="totp-activate" class="code-form" novalidate>
            <label for="totp-code">Enter the 6-digit code the app shows</label>
            <input id="totp-code" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
              pattern="[0-9]{6}" maxlength="6" required spellcheck="false" class="code-input" aria-describedby="enroll-error">
            <button type="submit" class="primary">Activate</button>
          </form>
        </li>
      </ol>
    </div>

    <div id="step-sms" hidden>
      <form id="sms-enroll" novalidate>
        <label for="phone">Mobile phone number</label>
        <input id="phone" name="phoneNumber" type="tel" autocomplete="tel" placeholder="+1 555 555 0123" required aria-describedby="phone-help">
        <p id="phone-help" class="hint">With the country code, e.g. +1 555 555 0123.</p>
        <button type="submit" class="primary">Text me a code</button>
      </form>
      <form id="sms-activate" class="code-form" novalidate hidden>
        <p id="sms-sent"></p>
        ${view.emulator
          ? html`<p class="hint" data-testid="outbox-hint">No phone needed: the local emulator puts the text in its outbox.
              Open <a href="/dev/outbox" target="_blank" rel="noopener">the outbox page</a> (or look at the server console, or
              <code>GET /__emulator/messages</code> on the emulator) to read the code.</p>`
          : ''}
        <label for="sms-code">Enter the 6-digit code from the text</label>
        <input id="sms-code" name="passCode" type="text" inputmode="numeric" autocomplete="one-time-code"
          pattern="[0-9]{6}" maxlength="6" required spellcheck="false" class="code-input" aria-describedby="enroll-error">
        <button type="submit" class="primary">Activate</button>
      </form>
    </div>

    <p class="hint"><a href="/mfa">Back</a></p>
  </section>
  <script type="application/json" id="messages">${new SafeHtml(jsonBlock(view.messages))}</script>`
  return page({ title: 'Set up two-step sign-in', body, userName: view.userName, csrf: view.csrf, scripts: ['/assets/enroll.js'], fullNav: view.mfaDone })
}
