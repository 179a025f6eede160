// The example's HTML, kept apart from the routes. Everything interpolated is escaped.
import { normalizeUsername, type LoginInputCode } from 'passport-okta-mfa'
import type { AuthenticatorApp } from './authenticator-apps.js'

/** Escapes text for HTML element and attribute content. */
export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/**
 * Each form is sent once. A double click on Verify sends the code twice: the first post signs in and regenerates the
 * session, the browser drops its answer (and the new session's cookie) for the second one's, and the second, sent
 * with the old session, is refused as a used code or finds no session. A stopped sending (Esc) frees the form after
 * a while, and so does Back. Without JavaScript (or under a CSP without inline scripts) the forms work as before.
 */
const SEND_ONCE = `<script>
document.addEventListener('submit', function (e) {
  var f = e.target
  if (f.dataset.sent === '1') { e.preventDefault(); return }
  f.dataset.sent = '1'
  setTimeout(function () { delete f.dataset.sent }, 25000)
})
addEventListener('pageshow', function () { document.querySelectorAll('form[data-sent]').forEach(function (f) { delete f.dataset.sent }) })
</script>`

/** A whole page around `body`. Its empty icon keeps the browser from asking for /favicon.ico (a 404 on every page). */
export function layout (title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0}input{font:inherit;padding:.4rem}.error{color:#b00020}</style>
${SEND_ONCE}
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`
}

/** The id of a page's error line, which the field in error names (`aria-describedby`). */
const ERROR_ID = 'error'

function errorLine (message: string | undefined, code?: string): string {
  if (message === undefined) return ''
  // The refusal's code, for scripts and tests (the x-error-code header says the same).
  return `<p class="error" role="alert" id="${ERROR_ID}"${code === undefined ? '' : ` data-code="${escapeHtml(code)}"`}>${escapeHtml(message)}</p>`
}

/** A field's attributes when the page's error is about it: tied to the error line, marked invalid, focused. */
function inError (yes: boolean): string {
  return yes ? ` aria-invalid="true" aria-describedby="${ERROR_ID}" autofocus` : ''
}

/** The hidden field carrying the session's CSRF token. */
function csrfField (csrf: string): string {
  return `<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}">`
}

/** What the password form shows again after a refusal: the field in error and the username typed. */
export interface LoginRetry {
  /** The field the message is about (focused, tied to it); without one, the username. */
  field?: 'username' | 'password' | undefined
  /** The username as typed, shown again. */
  username?: string | undefined
}

/**
 * What the form shows again after a refused post: the field a `checkLoginInput` code (or the sign-in cap's
 * `LOCKED_OUT`) is about, the first empty one when both are needed, and the username typed.
 */
export function loginRetryOf (code: LoginInputCode | 'LOCKED_OUT', body: unknown): LoginRetry {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const username = typeof b.username === 'string' ? b.username.trim() : undefined
  const emptyName = username === undefined || normalizeUsername(username) === ''
  const field = code === 'PASSWORD_TOO_LONG' || code === 'LOCKED_OUT' || (code === 'MISSING_CREDENTIALS' && !emptyName) ? 'password' : 'username'
  return { field, username }
}

/** A wait in words: "45 seconds", "15 minutes". */
export function waitWords (seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minute${minutes === 1 ? '' : 's'}`
}

/**
 * The password form; `code` names a refusal on its message (`data-code`); `notice` is news (a sign-out), not an error.
 * Without a refusal the cursor starts in Username, as the code form's starts in its field.
 */
export function loginPage (csrf: string, message?: string, code?: string, retry: LoginRetry = {}, notice?: string): string {
  const field = message === undefined ? undefined : retry.field ?? 'username'
  const typed = retry.username === undefined || retry.username === '' ? '' : ` value="${escapeHtml(retry.username)}"`
  return layout('Sign in', `${notice === undefined ? '' : `<p role="status">${escapeHtml(notice)}</p>`}${errorLine(message, code)}
<form method="post" action="/login">${csrfField(csrf)}
<label>Username <input name="username" autocomplete="username" required${typed}${field === undefined ? ' autofocus' : inError(field === 'username')}></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required${inError(field === 'password')}></label>
<button>Sign in</button>
</form>`)
}

/** The page of a path the app does not serve. */
export function notFoundPage (): string {
  return layout('Page not found', `<p>There is nothing at this address.</p>
<p><a href="/">Go to the start</a></p>`)
}

const WAYS_BACK: Readonly<Record<string, string>> = { '/login': 'Go to sign-in', '/mfa': 'Go to the code form', '/account': 'Go to your account' }

/**
 * The page of a form post refused for its CSRF token (an expired form, a post from another site); its link leads to
 * `back`: /login, or where the signed-in person is (/mfa, /account).
 */
export function expiredFormPage (back: '/login' | '/mfa' | '/account' = '/login'): string {
  return layout('This form expired', `${errorLine('This form expired. Reload the page and try again.', 'CSRF')}
<p><a href="${back}">${WAYS_BACK[back]}</a></p>`)
}

/**
 * The passcode form; with `rememberDays`, the "Remember this device" checkbox; with `apps` (the user's two or more
 * authenticator apps), the choice of the one that shows the code, sent as `factorId`. `kept`: what a refused post
 * had (the app chosen, the box ticked), shown as it was.
 */
export function mfaPage (csrf: string, name: string, message?: string, demoHint?: string, rememberDays?: number, apps: readonly AuthenticatorApp[] = [], kept: { factorId?: string | undefined, remember?: boolean | undefined } = {}): string {
  const days = rememberDays === undefined ? undefined : Math.round(rememberDays)
  const remember = days === undefined
    ? ''
    : `<label><input type="checkbox" name="rememberDevice" value="on"${kept.remember === true ? ' checked' : ''}> Remember this device for ${days} day${days === 1 ? '' : 's'}</label>\n`
  const choice = apps.length === 0
    ? ''
    : `<fieldset><legend>Which app shows the code?</legend>\n${apps.map((a) => `<label><input type="radio" name="factorId" value="${escapeHtml(a.id)}" required${a.id === kept.factorId ? ' checked' : ''}> ${escapeHtml(a.label)}</label>`).join('\n')}\n</fieldset>\n`
  return layout('Verify it is you', `<p>Signed in as ${escapeHtml(name)}. Enter the 6-digit code from your authenticator app.</p>
${errorLine(message)}
<form method="post" action="/mfa">${csrfField(csrf)}
${choice}<label>Code <input name="passCode" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,32}" title="The 6 digits from your authenticator app" required${message === undefined ? ' autofocus' : inError(true)}></label>
${remember}<button>Verify</button>
</form>
${demoHint === undefined ? '' : `<p><small>${demoHint}</small></p>`}
<form method="post" action="/logout">${csrfField(csrf)}<button>Sign out</button></form>`)
}

/**
 * The protected page; with `devices`, the "Forget remembered devices" button. `remembered`: the MFA step is this
 * browser's remembered device (no code was asked for), `completedAt` the time of the code that remembered it.
 */
export function accountPage (csrf: string, name: string, factorId: string, completedAt: number, devices = false, message?: string, remembered = false): string {
  const forget = devices ? `\n<form method="post" action="/devices/forget">${csrfField(csrf)}<button>Forget remembered devices</button></form>` : ''
  const factor = `<code>${escapeHtml(factorId)}</code>`
  const at = escapeHtml(new Date(completedAt).toISOString())
  const step = remembered
    ? `No code was asked for: this device has been remembered since ${at} (factor ${factor}).`
    : `You verified with factor ${factor}\nat ${at}.`
  return layout('Your account', `${message === undefined ? '' : `<p role="status">${escapeHtml(message)}</p>\n`}<p>Hello ${escapeHtml(name)}. ${step}</p>
<form method="post" action="/logout">${csrfField(csrf)}<button>Sign out</button></form>${forget}`)
}
