import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type Configuration } from "oidc-provider";
import { listen } from "../lib/node-service";
import { DEMO_IDP_USERS, type IdpUser } from "./demo-users";
import { loginPage } from "./login-page";

/**
 * A company's identity provider for local development and tests: panva's `oidc-provider`
 * (OpenID Certified), with a login page over a few demo users and loopback controls to change
 * them. The Worker talks to it exactly as to Okta or Entra: discovery, PKCE, signed ID tokens,
 * userinfo. Everything is in memory.
 */
export interface OidcIdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface OidcIdpOptions {
  port?: number;
  host?: string;
  clients: OidcIdpClient[];
  users?: readonly IdpUser[];
}

export interface OidcIdpServer {
  issuer: string;
  port: number;
  close(): Promise<void>;
}

const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
};

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

export async function startOidcIdp(options: OidcIdpOptions): Promise<OidcIdpServer> {
  const users = new Map<string, IdpUser>((options.users ?? DEMO_IDP_USERS).map((u) => [u.sub, { ...u }]));
  const server = createServer();
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const issuer = `http://${options.host ?? "127.0.0.1"}:${address.port}`;

  // A fresh signing key per start: the IdP's tokens are only ever checked while it runs.
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingJwk = {
    ...(await exportJWK(privateKey)),
    kid: `local-${address.port}`,
    alg: "RS256",
    use: "sig",
  };
  const configuration: Configuration = {
    jwks: { keys: [signingJwk as never] },
    clients: options.clients.map((c) => ({
      ...c,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    // A fixed, throwaway cookie key: the IdP is local and its sessions die with it.
    cookies: { keys: ["local-oidc-idp-cookie-key"] },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: user.email,
          email_verified: user.email_verified ?? true,
          name: user.name,
          groups: user.groups,
        }),
      };
    },
    // A company's IdP does not ask its staff to consent to their own company's app.
    loadExistingGrant: async (ctx) => {
      const oidc = ctx.oidc;
      const clientId = oidc.client?.clientId;
      const accountId = oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const grantId = oidc.session?.grantIdFor(clientId);
      if (grantId) {
        const existing = await oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope("openid email profile groups");
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { Session: 60 * 60, Interaction: 10 * 60, Grant: 60 * 60 },
  };
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on("request", (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", issuer);
      const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(url.pathname);
      if (interaction) {
        const details = await provider.interactionDetails(req, res);
        if (req.method === "GET") {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
          res.end(loginPage(details.uid, String(details.params.login_hint ?? ""), undefined));
          return;
        }
        const form = await readForm(req);
        const email = (form.get("email") ?? "").trim().toLowerCase();
        const user = [...users.values()].find((u) => u.email.toLowerCase() === email);
        if (!user || user.password !== form.get("password")) {
          res.writeHead(401, { "content-type": "text/html; charset=utf-8" });
          res.end(loginPage(details.uid, email, "Wrong e-mail or password."));
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.sub } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      // Loopback control for tests: change a user (their address, their groups) or add one.
      if (url.pathname === "/__control/user" && req.method === "PUT") {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const patch = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Partial<IdpUser> & {
          sub: string;
        };
        const current = users.get(patch.sub);
        const next = {
          ...(current ?? { password: "", groups: [], email: "", name: "" }),
          ...patch,
        } as IdpUser;
        users.set(patch.sub, next);
        return sendJson(res, 200, { sub: next.sub, email: next.email, groups: next.groups });
      }
      callback(req, res);
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.end();
    });
  });

  return {
    issuer,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
