// Error pages: an expired form (CSRF), a missing page, and a failure of ours, each with a way back.
import { html, page } from './layout.js'

/** 403 for a form post without the session's CSRF token. */
export function csrfPage (): string {
  return page({
    title: 'Form expired',
    body: html`<section class="card"><h1>This form expired</h1>
      <p role="alert" data-testid="error">For your safety the form was refused: it did not come from a page of this site, or your session changed.
      Go back, reload the page and try again.</p><p><a href="/login">Sign in</a></p></section>`,
  })
}

/** 404. */
export function notFoundPage (): string {
  return page({ title: 'Not found', body: html`<section class="card"><h1>Page not found</h1><p><a href="/account">Go to your account</a></p></section>` })
}

/** 500 and 503: nothing about the cause reaches the page; a signed-in person also gets a way out (sign out). */
export function errorPage (message: string, options: { signedIn?: boolean, title?: string } = {}): string {
  const title = options.title ?? 'Something went wrong'
  return page({
    title,
    body: html`<section class="card"><h1>${title}</h1><p role="alert" data-testid="error">${message}</p>
      <p class="actions"><a class="button primary" href="/account" data-testid="try-again">Try again</a>
      ${options.signedIn === true ? html`<a class="button secondary" href="/logout" data-testid="error-logout">Sign out</a>` : ''}</p></section>`,
  })
}

/**
 * 503 for a sign-out the revocation store could not record: this browser is signed out (its cookie emptied), and the
 * page says plainly that an earlier copy of the session still works, and how to end it.
 */
export function signedOutUnrecordedPage (title: string, message: string): string {
  return page({
    title,
    body: html`<section class="card"><h1>${title}</h1><p role="alert" data-testid="error">${message}</p>
      <p class="actions"><a class="button primary" href="/login" data-testid="sign-in">Sign in</a></p></section>`,
  })
}
