import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Plain, readable, no scripts, no outside resources: the CSP allows only this inline style. */
const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; color: CanvasText; }
  main { width: min(26rem, 92vw); padding: 2rem; border: 1px solid GrayText; border-radius: .75rem; }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
  p.app { margin: 0 0 1.25rem; color: GrayText; }
  label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
  input, select { width: 100%; box-sizing: border-box; font: inherit; padding: .6rem; border: 1px solid GrayText; border-radius: .4rem; }
  input:focus-visible, select:focus-visible, button:focus-visible { outline: 3px solid Highlight; outline-offset: 2px; }
  .error { border-left: 4px solid #b00020; padding: .5rem .75rem; margin: 1rem 0; background: color-mix(in srgb, #b00020 10%, Canvas); }
  .actions { display: flex; flex-direction: row-reverse; gap: .75rem; margin-top: 1.5rem; }
  button { flex: 1; font: inherit; padding: .7rem; border-radius: .4rem; border: 1px solid GrayText; cursor: pointer; }
  button[value=approve] { background: #1a56db; color: white; border-color: #1a56db; }
  ul.scopes { padding-left: 1.2rem; }
  small { color: GrayText; }
`;

export function layout(title: string, nonce: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="same-origin" />
    <title>${title} · Nexus Edge</title>
    <style nonce="${nonce}">${raw(STYLE)}</style>
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

/**
 * Headers of every page: never framed (clickjacking), never cached, no referrer to other sites
 * (the URL holds the authorization request; `same-origin`, not `no-referrer`, since with that a
 * browser posts the form with `Origin: null`, which is refused like another site's), and a CSP that allows the inline style and form posts to this
 * origin and the client's redirect (Chromium applies form-action to the redirect after a post).
 */
export function pageHeaders(nonce: string, formTargets: string[] = []): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(" ");
  return {
    "Content-Security-Policy": `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    Pragma: "no-cache",
    "Referrer-Policy": "same-origin",
  };
}
