// The page frame every view shares, and the one escaping rule: everything interpolated into `html`
// is escaped unless it is already `SafeHtml` (built by `html` itself). No view concatenates raw strings.
import { CSRF_FIELD } from '../csrf.js'

/** Markup that is already safe to emit as is. */
export class SafeHtml {
  constructor (readonly value: string) {}
  toString (): string { return this.value }
}

/** Escapes `& < > " '` for text and attribute values. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function render (value: unknown): string {
  if (value === undefined || value === null || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/**
 * Tagged template for HTML: interpolated values are escaped; arrays are joined; `undefined`, `null` and `false` vanish.
 * @example
 * html`<p>Hello ${user.displayName}</p>`
 */
export function html (strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((value, i) => { out += render(value) + (strings[i + 1] ?? '') })
  return new SafeHtml(out)
}

/** The hidden field that carries the session's CSRF token in a form. */
export function csrfField (token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`
}

/** A message box: `error` is announced to screen readers at once, `info` politely. */
export function notice (kind: 'error' | 'info' | 'success', text: string | SafeHtml | undefined, id?: string): SafeHtml {
  if (text === undefined || text === '') return html``
  const role = kind === 'error' ? 'alert' : 'status'
  return html`<div class="notice notice-${kind}" role="${role}" data-testid="${kind}" ${id === undefined ? '' : html`id="${id}"`}>${text}</div>`
}

/** What the frame needs besides the page body. */
export interface PageOptions {
  title: string
  body: SafeHtml
  /** The signed-in user's name, shown with the sign-out link. */
  userName?: string | undefined
  /** The session's CSRF token, in `<meta name="csrf-token">` for scripts (sign-out itself is a GET link). */
  csrf?: string | undefined
  /** Scripts (paths on this origin) to load at the end of the body. */
  scripts?: string[]
  /** Show the Account and Security links (only once MFA is done; before, they would just lead back to /mfa). @default true */
  fullNav?: boolean
}

/** A whole HTML document. */
export function page ({ title, body, userName, csrf, scripts = [], fullNav = true }: PageOptions): string {
  const nav = userName === undefined
    ? html``
    : html`<nav aria-label="Account">
        ${fullNav ? html`<a href="/account">Account</a>
        <a href="/account/security">Security</a>` : ''}
        <a href="/logout" data-testid="logout">Sign out</a>
      </nav>`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · okta-mfa demo</title>
${csrf === undefined ? '' : html`<meta name="csrf-token" content="${csrf}">`}
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/account">okta-mfa <span>demo</span></a>
  ${nav}
</header>
<main id="main">
${body}
</main>
${['/assets/forms.js', ...scripts].map((src) => html`<script src="${src}" defer></script>`)}
</body>
</html>
`.value
}
