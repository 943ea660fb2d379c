import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { inflateRawSync } from "node:zlib";
import { DOMParser } from "@xmldom/xmldom";
import { listen, readBody } from "../lib/node-service";
import type { IdpUser } from "../oidc-idp/demo-users";
import { base64, signedResponse } from "./assertion";
import { DEMO_SAML_USERS } from "./demo-users";
import { generateSigningKey, type SigningKey } from "./signing-key";

/**
 * A company's SAML 2.0 identity provider for local development and tests, speaking the Web
 * Browser SSO profile as ADFS or Okta's SAML apps do: AuthnRequests by HTTP-Redirect (deflated),
 * a login page, then a Response with a signed assertion POSTed to the SP's ACS by an
 * auto-submitting form. Metadata at /metadata (entity id, SSO URL, signing certificate).
 * In memory; loopback controls let tests change users.
 */
export interface SamlIdpOptions {
  port?: number;
  host?: string;
  users?: readonly IdpUser[];
}

export interface SamlIdpServer {
  url: string;
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  /** The key it signs with: tests sign their own variants of its assertions with it. */
  signingKey: SigningKey;
  close(): Promise<void>;
}

const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

interface PendingLogin {
  requestId: string;
  acsUrl: string;
  audience: string;
  relayState: string;
}

const escapeHtml = (v: string) =>
  v.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

const html = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>Globex sign-in</title></head>${body}</html>`,
  );
};

const loginPage = (uid: string, error?: string) =>
  `<body><h1>Globex Corporation</h1><p>Sign in with your Globex account (SAML).</p>` +
  (error ? `<p role="alert">${escapeHtml(error)}</p>` : "") +
  `<form method="post" action="/login/${uid}"><label>E-mail <input name="email" type="email" autofocus></label>` +
  `<label>Password <input name="password" type="password"></label><button type="submit">Sign in</button></form></body>`;

/** The POST binding: a form the browser submits to the SP at once. */
const postForm = (acsUrl: string, samlResponse: string, relayState: string) =>
  `<body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(acsUrl)}">` +
  `<input type="hidden" name="SAMLResponse" value="${samlResponse}">` +
  (relayState ? `<input type="hidden" name="RelayState" value="${escapeHtml(relayState)}">` : "") +
  `<noscript><button type="submit">Continue</button></noscript></form></body>`;

function readAuthnRequest(encoded: string): { id: string; acsUrl: string; issuer: string } {
  const xml = inflateRawSync(Buffer.from(encoded, "base64"), { maxOutputLength: 64 * 1024 }).toString("utf8");
  if (/<!DOCTYPE/i.test(xml)) throw new Error("DTD in AuthnRequest");
  const root = new DOMParser().parseFromString(xml, "text/xml").documentElement;
  if (root.namespaceURI !== PROTOCOL || root.localName !== "AuthnRequest")
    throw new Error("not an AuthnRequest");
  const issuer = root.getElementsByTagNameNS(ASSERTION, "Issuer")[0]?.textContent?.trim() ?? "";
  const id = root.getAttribute("ID") ?? "";
  const acsUrl = root.getAttribute("AssertionConsumerServiceURL") ?? "";
  if (!id || !issuer || !acsUrl) throw new Error("AuthnRequest without ID, Issuer or ACS URL");
  return { id, acsUrl, issuer };
}

export async function startSamlIdp(options: SamlIdpOptions = {}): Promise<SamlIdpServer> {
  const users = new Map<string, IdpUser>((options.users ?? DEMO_SAML_USERS).map((u) => [u.sub, { ...u }]));
  const pending = new Map<string, PendingLogin>();
  const server = createServer();
  const host = options.host ?? "127.0.0.1";
  const address = await listen(server, options.port ?? 0, host);
  const url = `http://${host}:${address.port}`;
  const entityId = `${url}/metadata`;
  const ssoUrl = `${url}/sso`;
  const signingKey = generateSigningKey(`Globex SAML IdP (local, port ${address.port})`);
  const certificateBase64 = signingKey.certificatePem.replace(/-----[A-Z ]+-----|\s/g, "");

  const metadata =
    `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${PROTOCOL}">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>` +
    `<ds:X509Certificate>${certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`;

  server.on("request", (req, res) => {
    void (async () => {
      const here = new URL(req.url ?? "/", url);
      if (req.method === "GET" && here.pathname === "/metadata") {
        res.writeHead(200, { "content-type": "application/samlmetadata+xml" });
        res.end(metadata);
        return;
      }
      if (req.method === "GET" && here.pathname === "/sso") {
        let request: ReturnType<typeof readAuthnRequest>;
        try {
          request = readAuthnRequest(here.searchParams.get("SAMLRequest") ?? "");
        } catch (error) {
          return html(res, 400, `<body><p>Bad AuthnRequest: ${escapeHtml(String(error))}</p></body>`);
        }
        const uid = randomBytes(12).toString("hex");
        pending.set(uid, {
          requestId: request.id,
          acsUrl: request.acsUrl,
          audience: request.issuer,
          relayState: here.searchParams.get("RelayState") ?? "",
        });
        return html(res, 200, loginPage(uid));
      }
      const login = /^\/login\/([0-9a-f]{24})$/.exec(here.pathname);
      if (req.method === "POST" && login) {
        const uid = login[1] as string;
        const waiting = pending.get(uid);
        if (!waiting) return html(res, 400, "<body><p>This sign-in expired. Start again.</p></body>");
        const form = new URLSearchParams(await readBody(req, 64 * 1024));
        const email = (form.get("email") ?? "").trim().toLowerCase();
        const user = [...users.values()].find((u) => u.email.toLowerCase() === email);
        if (!user || user.password !== form.get("password"))
          return html(res, 401, loginPage(uid, "Wrong e-mail or password."));
        pending.delete(uid);
        const xml = signedResponse(
          {
            issuer: entityId,
            destination: waiting.acsUrl,
            audience: waiting.audience,
            inResponseTo: waiting.requestId,
            nameId: user.sub,
            attributes: { email: user.email, displayName: user.name, groups: user.groups },
          },
          signingKey,
        );
        return html(res, 200, postForm(waiting.acsUrl, base64(xml), waiting.relayState));
      }
      if (req.method === "PUT" && here.pathname === "/__control/user") {
        const patch = JSON.parse(await readBody(req, 64 * 1024)) as Partial<IdpUser> & {
          sub: string;
        };
        const next = {
          ...(users.get(patch.sub) ?? { password: "", groups: [], email: "", name: "" }),
          ...patch,
        };
        users.set(patch.sub, next as IdpUser);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ sub: next.sub, email: next.email }));
        return;
      }
      res.writeHead(404).end();
    })().catch((error: unknown) => {
      if (!res.headersSent) html(res, 500, `<body><p>${escapeHtml(String(error))}</p></body>`);
      else res.end();
    });
  });

  return {
    url,
    entityId,
    ssoUrl,
    certificatePem: signingKey.certificatePem,
    signingKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
