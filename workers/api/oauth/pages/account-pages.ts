import { html } from "hono/html";
import { MIN_PASSWORD_CHARS } from "../../auth/credentials/password-policy";
import { layout } from "./layout";

/**
 * The pages a link in an e-mail opens (set a password from an invitation, reset a forgotten
 * one) and the page that asks for a reset. No scripts, like the sign-in page; every form
 * carries the CSRF field.
 */

const errorBlock = (error: string | undefined) =>
  error ? html`<p role="alert" class="error" id="form-error">${error}</p>` : "";

const describedBy = (error: string | undefined) => (error ? html`aria-describedby="form-error"` : "");

const backToSignIn = (returnTo: string | undefined) =>
  returnTo ? html`<p><a href="${returnTo}">Back to sign in</a></p>` : "";

export function forgotPage(input: {
  nonce: string;
  csrfToken: string;
  email?: string;
  returnTo?: string | undefined;
  error?: string;
}) {
  return layout(
    "Reset your password",
    input.nonce,
    html`<h1>Reset your password</h1>
      <p class="app">Enter the email address of your account. We will send it a link to choose a new password.</p>
      ${errorBlock(input.error)}
      <form method="post" action="/oauth/forgot" ${describedBy(input.error)}>
        <input type="hidden" name="csrf_token" value="${input.csrfToken}" />
        ${input.returnTo ? html`<input type="hidden" name="return_to" value="${input.returnTo}" />` : ""}
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus value="${input.email ?? ""}" maxlength="320" />
        <div class="actions"><button type="submit" name="send" value="link">Send the link</button></div>
      </form>
      ${backToSignIn(input.returnTo)}`,
  );
}

/** The same words whether or not an account uses the address. */
export function forgotSentPage(input: { nonce: string; returnTo?: string | undefined; minutes: number }) {
  return layout(
    "Check your email",
    input.nonce,
    html`<h1>Check your email</h1>
      <p role="status">If an account uses this address, we have sent it a link to choose a new password. The link works once and expires in ${input.minutes} minutes.</p>
      <p><small>Nothing arrived? Check your spam folder, or ask again in a few minutes.</small></p>
      ${backToSignIn(input.returnTo)}`,
  );
}

function passwordFields() {
  return html`<label for="password">New password</label>
    <input id="password" name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_CHARS}" maxlength="1024" aria-describedby="password-help" autofocus />
    <p id="password-help"><small>At least ${MIN_PASSWORD_CHARS} characters, not easy to guess. A passphrase of a few words works well.</small></p>
    <label for="password_confirm">Repeat it</label>
    <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required maxlength="1024" />`;
}

export function resetPage(input: {
  nonce: string;
  csrfToken: string;
  token: string;
  email: string;
  error?: string;
}) {
  return layout(
    "Choose a new password",
    input.nonce,
    html`<h1>Choose a new password</h1>
      <p class="app">For <strong>${input.email}</strong>. Saving it signs this account out everywhere.</p>
      ${errorBlock(input.error)}
      <form method="post" action="/oauth/reset" ${describedBy(input.error)}>
        <input type="hidden" name="csrf_token" value="${input.csrfToken}" />
        <input type="hidden" name="token" value="${input.token}" />
        <input type="hidden" name="username" autocomplete="username" value="${input.email}" />
        ${passwordFields()}
        <div class="actions"><button type="submit" name="save" value="password">Save the password</button></div>
      </form>`,
  );
}

export function invitationPage(input: {
  nonce: string;
  csrfToken: string;
  token: string;
  email: string;
  tenantName: string;
  roleName: string;
  hasPassword: boolean;
  error?: string;
}) {
  return layout(
    "Join your team",
    input.nonce,
    html`<h1>Join ${input.tenantName}</h1>
      <p class="app">You are invited as <strong>${input.roleName}</strong>, with <strong>${input.email}</strong>.</p>
      ${errorBlock(input.error)}
      <form method="post" action="/oauth/invitation" ${describedBy(input.error)}>
        <input type="hidden" name="csrf_token" value="${input.csrfToken}" />
        <input type="hidden" name="token" value="${input.token}" />
        <input type="hidden" name="username" autocomplete="username" value="${input.email}" />
        ${
          input.hasPassword
            ? html`<p>You already have an account: accept to join with it.</p>`
            : html`<p>Choose the password you will sign in with.</p>${passwordFields()}`
        }
        <div class="actions"><button type="submit" name="accept" value="yes">${input.hasPassword ? "Accept the invitation" : "Set password and join"}</button></div>
      </form>`,
  );
}

export function accountDonePage(input: { nonce: string; heading: string; message: string }) {
  return layout(
    input.heading,
    input.nonce,
    html`<h1>${input.heading}</h1>
      <p role="status">${input.message}</p>
      <p><small>Go back to the application you use and sign in.</small></p>`,
  );
}

export function linkUnusablePage(input: { nonce: string; purpose: "invitation" | "password_reset" }) {
  return layout(
    "Link expired",
    input.nonce,
    html`<h1>This link cannot be used</h1>
      <p role="alert" class="error">It has expired or was already used.</p>
      ${
        input.purpose === "password_reset"
          ? html`<p><a href="/oauth/forgot">Ask for a new link</a></p>`
          : html`<p><small>Ask whoever invited you to send a new invitation.</small></p>`
      }`,
  );
}
