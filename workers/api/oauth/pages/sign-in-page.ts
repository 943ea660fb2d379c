import { html } from "hono/html";
import type { AuthorizeRequest } from "../authorize-request";
import type { SUPPORTED_SCOPES } from "../scopes";
import { layout } from "./layout";

// Keyed by every supported scope, so a new scope cannot reach the consent page without its words.
const SCOPE_TEXT: Readonly<Record<string, string>> & Record<(typeof SUPPORTED_SCOPES)[number], string> = {
  openid: "Confirm who you are",
  profile: "See your name",
  email: "See your email address",
  offline_access: "Stay signed in (refresh its access)",
  "crm:read": "Read your CRM (contacts, leads, opportunities) and its change events",
  "crm:write": "Change your CRM",
  "finance:read": "See your invoices and payments",
  "finance:write": "Bill customers and take payments",
  "ai:read": "See your AI agents, your chats with them and their runs",
  "ai:write": "Chat with and run your AI agents (they act with your permissions)",
  "iam:read": "See members, roles and keys",
  "iam:write": "Manage members, roles and keys",
  "realtime:read": "Join your live rooms and receive live changes",
  "realtime:write": "Post messages in your live rooms",
  "webhooks:read": "See where your events are sent (webhook endpoints)",
  "webhooks:write": "Choose where your events are sent (webhook endpoints and their secrets)",
};

export type SignInStep =
  | { kind: "credentials"; email?: string }
  | {
      kind: "mfa";
      ticket: string;
      /** E-mailed codes are one of the user's factors. */
      email?: boolean;
      /** Texted codes are one of the user's factors. */
      sms?: boolean;
    }
  | {
      kind: "consent";
      userName: string;
      tenants: { id: string; name: string }[];
      /** The user chose to answer their invitations later: carried so they are not asked again. */
      invitationsLater?: boolean;
      /** Signed in by a tenant's identity provider: for that tenant only (oauth/sso-endpoint.ts). */
      ssoTicket?: string;
    }
  | { kind: "sso_chooser"; email: string; connections: { id: string; name: string }[] }
  | {
      kind: "invitations";
      userName: string;
      invitations: { tenantId: string; tenantName: string; roleName: string }[];
    };

export interface SignInPageInput {
  request: AuthorizeRequest;
  csrfToken: string;
  step: SignInStep;
  error?: string;
  nonce: string;
}

function hiddenFields(request: AuthorizeRequest, csrfToken: string) {
  return html`<input type="hidden" name="csrf_token" value="${csrfToken}" />${Object.entries(
    request.params,
  ).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}`;
}

function scopes(request: AuthorizeRequest) {
  return html`<p>It will be able to:</p>
    <ul class="scopes">
      ${request.scope.map((s) => html`<li>${SCOPE_TEXT[s] ?? s}</li>`)}
    </ul>`;
}

// Allow comes first in the document: pressing Enter in a field submits the first button, and
// that must not be Cancel. The row is reversed visually so Cancel still sits on the left.
const actions = html`<div class="actions">
  <button type="submit" name="consent" value="approve">Allow</button>
  <button type="submit" name="consent" value="deny">Cancel</button>
</div>`;

/** The reset page, with the way back to this very request. */
function forgotLink(request: AuthorizeRequest): string {
  const params = Object.entries(request.params).filter((e): e is [string, string] => e[1] !== undefined);
  return `/oauth/forgot?${new URLSearchParams({ return_to: `/oauth/authorize?${new URLSearchParams(params)}` })}`;
}

function stepFields(step: SignInStep, request: AuthorizeRequest) {
  switch (step.kind) {
    case "credentials":
      return html`<label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="${step.email ?? ""}" autofocus />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <p><small><a href="${forgotLink(request)}">Forgot your password?</a></small></p>`;
    case "mfa":
      return html`<input type="hidden" name="mfa_ticket" value="${step.ticket}" />
        <label for="totp">Authentication code</label>
        <input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" required autofocus
          aria-describedby="totp-help" maxlength="32" />
        <p id="totp-help"><small>${
          step.email
            ? "The 8-digit code we e-mailed you, the 6-digit code from your authenticator app if you use one, or one of your recovery codes."
            : "The 6-digit code from your authenticator app, or one of your recovery codes."
        }</small></p>`;
    case "invitations":
      return html`<p>Signed in as <strong>${step.userName}</strong>.</p>
        <p>You have been invited to join:</p>
        <ul class="invitations">
          ${step.invitations.map(
            (i) => html`<li>
              <strong>${i.tenantName}</strong>, as ${i.roleName}
              <div class="actions">
                <button type="submit" name="invitation" value="accept:${i.tenantId}">Accept</button>
                <button type="submit" name="invitation" value="decline:${i.tenantId}">Decline</button>
              </div>
            </li>`,
          )}
        </ul>
        <p><small>Until you accept, that business cannot see your name or use your account.</small></p>
        <button type="submit" name="invitations" value="later">Decide later</button>`;
    case "sso_chooser":
      return html`<input type="hidden" name="email" value="${step.email}" />
        <input type="hidden" name="sso" value="start" />
        <p>Choose how <strong>${step.email}</strong> signs in:</p>
        <div class="actions sso-choices">
          ${step.connections.map(
            (x) => html`<button type="submit" name="sso_connection" value="${x.id}">${x.name}</button>`,
          )}
        </div>`;
    case "consent":
      return html`${step.invitationsLater ? html`<input type="hidden" name="invitations" value="later" />` : ""}
        ${step.ssoTicket ? html`<input type="hidden" name="sso_ticket" value="${step.ssoTicket}" />` : ""}
        <p>Signed in as <strong>${step.userName}</strong>.</p>
        ${
          step.tenants.length > 1
            ? html`<label for="tenant">Business</label>
              <select id="tenant" name="tenant" required>
                ${step.tenants.map((t) => html`<option value="${t.id}">${t.name}</option>`)}
              </select>`
            : step.tenants[0]
              ? html`<input type="hidden" name="tenant" value="${step.tenants[0].id}" />
                <p>Business: <strong>${step.tenants[0].name}</strong></p>`
              : ""
        }`;
  }
}

const HEADINGS: Record<SignInStep["kind"], string> = {
  credentials: "Sign in",
  mfa: "Two-step verification",
  invitations: "Invitations",
  consent: "Allow access?",
  sso_chooser: "Single sign-on",
};

// After Allow/Cancel in the document, so Enter in a field still submits Allow; no `required`
// check, since the password is not needed to go to the company's identity provider.
const ssoButton = html`<p class="sso"><button type="submit" name="sso" value="start" formnovalidate>
  Sign in with your company's identity provider (single sign-on)</button></p>`;

/** The one page of the authorization endpoint: sign in, the MFA step, or consent. */
export function signInPage(input: SignInPageInput) {
  const { request, step } = input;
  const heading = HEADINGS[step.kind];
  // Invitations are answered on their own, before the application's request is.
  const requestPart =
    step.kind === "invitations" || step.kind === "sso_chooser"
      ? ""
      : html`${scopes(request)} ${actions} ${step.kind === "credentials" ? ssoButton : ""}`;
  return layout(
    heading,
    input.nonce,
    html`<h1>${heading}</h1>
      <p class="app"><strong>${request.client.name}</strong> wants to use your Nexus Edge account.</p>
      ${input.error ? html`<p role="alert" class="error" id="form-error">${input.error}</p>` : ""}
      <form method="post" action="/oauth/authorize" ${input.error ? html`aria-describedby="form-error"` : ""}>
        ${hiddenFields(request, input.csrfToken)} ${stepFields(step, request)} ${requestPart}
        ${
          // After Allow: Enter in the code field must submit the code, not ask for another.
          step.kind === "mfa" && step.sms
            ? html`<p><button type="submit" name="resend" value="sms" formnovalidate>Text me a new code</button></p>`
            : ""
        }
        ${
          step.kind === "mfa" && step.email
            ? html`<p><button type="submit" name="resend" value="email" formnovalidate>E-mail me a new code</button></p>`
            : ""
        }
      </form>`,
  );
}
