// /login: the app's own password sign-in (passport-local), the first of the two steps.
import { csrfField, html, notice, page, type SafeHtml } from './layout.js'

/** A demo account shown on the sign-in page when the emulator runs. */
export interface DemoHint {
  username: string
  password: string
  note: string
}

/** What the sign-in page shows. */
export interface LoginView {
  csrf: string
  error?: string | undefined
  info?: string | undefined
  /** Prefills the username after a failed try (never the password). */
  username?: string | undefined
  /** The field to put the cursor in (the empty one after an empty submit). @default username, or password after a failed try */
  focus?: 'username' | 'password' | undefined
  /** The person was sent here from a protected page: "Sign in to continue". */
  toContinue?: boolean
  /** Demo accounts to list. */
  demo?: DemoHint[] | undefined
  /** Where their Okta users are: the local emulator, or the Okta org configured. @default 'emulator' */
  demoOkta?: 'emulator' | 'org' | undefined
}

/** The sign-in page. */
export function loginPage (view: LoginView): string {
  const focus = view.focus ?? (view.username === undefined || view.username === '' ? 'username' : 'password')
  // The error is tied to the field the cursor goes to (a wrong password: Password), so a screen reader reads it there.
  const described = (name: 'username' | 'password'): SafeHtml | string =>
    view.error !== undefined && name === focus ? html`aria-describedby="login-error" aria-invalid="true"` : ''
  const body = html`
  <section class="card">
    <h1>${view.toContinue === true ? 'Sign in to continue' : 'Sign in'}</h1>
    ${view.toContinue === true ? html`<p class="hint" data-testid="continue-hint">The page you asked for needs you to sign in. You will land there afterwards.</p>` : ''}
    ${notice('error', view.error, 'login-error')}
    ${notice('info', view.info)}
    <form method="post" action="/login" novalidate>
      ${csrfField(view.csrf)}
      <label for="username">Username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false"
        required value="${view.username ?? ''}" ${focus === 'username' ? html`autofocus` : ''}
        ${described('username')}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required
        ${focus === 'password' ? html`autofocus` : ''} ${described('password')}>
      <button type="submit" class="primary">Sign in</button>
    </form>
    <p class="hint">After your password you will confirm it's you with a code from an authenticator app.</p>
  </section>
  ${view.demo === undefined || view.demo.length === 0
    ? ''
    : html`<section class="card demo" aria-labelledby="demo-title">
      <h2 id="demo-title">Demo accounts</h2>
      <p class="hint">${view.demoOkta === 'org'
        ? "The app's own accounts: their Okta users are looked up by login, and made at the first sign-in, which sets up a factor."
        : 'This app runs against the local Okta emulator, so these accounts exist only on this machine.'}</p>
      <ul>
        ${view.demo.map((d) => html`<li><code>${d.username}</code> / <code>${d.password}</code> — ${d.note}</li>`)}
      </ul>
    </section>`}`
  return page({ title: 'Sign in', body })
}
