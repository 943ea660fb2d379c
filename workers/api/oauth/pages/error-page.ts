import { html } from "hono/html";
import { layout } from "./layout";

/** Shown instead of redirecting when the redirect target cannot be trusted. */
export function errorPage(message: string, nonce: string) {
  return layout(
    "Sign-in problem",
    nonce,
    html`<h1>This sign-in link cannot be used</h1>
      <p role="alert" class="error">${message}</p>
      <p><small>Go back to the application and start signing in again. If it keeps happening, tell the application's developer.</small></p>`,
  );
}
