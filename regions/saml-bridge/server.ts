import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { JWK } from "jose";
import { BodyTooLarge, listen, readBody } from "../lib/node-service";
import {
  type BridgeConnection,
  connectionInput,
  issuerOf,
  resolveIdp,
  serviceProviderOf,
  sha256Hex,
} from "./connections";
import { MAX_METADATA_BYTES } from "./idp-metadata";
import { claimsFromSaml, constantTimeEqual, randomToken, s256, tokenSigner } from "./oidc-tokens";
import { REQUEST_TTL_MS, type ServiceProvider, samlFor, verifySamlResponse } from "./saml-verify";
import type { BridgeStore } from "./store";
import { MAX_RESPONSE_BYTES, SamlRefusal } from "./xml-guards";

/**
 * The region's SAML-to-OIDC bridge (issue 18, item 6), in the role Ory Polis plays: each SAML
 * connection is an OpenID issuer at `/c/<connection id>`, so the Worker signs people in through
 * it with the same openid-client flow as through Okta, and never parses XML. The Worker
 * registers connections through the admin API; browsers reach `/c/<id>/authorize` and the ACS.
 */
export interface SamlBridgeOptions {
  port?: number;
  host?: string;
  /** The URL browsers and the Worker reach the bridge at (issuers and the ACS are under it). */
  publicUrl?: string;
  /** Bearer token of the admin API (the region's Worker holds it). */
  adminToken: string;
  store: BridgeStore;
  signingJwk?: JWK;
  /** http IdP and redirect URLs on loopback: local development and tests only. */
  allowLoopbackHttp?: boolean;
  log?: (line: Record<string, unknown>) => void;
}

export interface SamlBridgeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CODE_TTL_MS = 60_000;
/** A registration carries at most 256 KiB of metadata, which JSON escaping can grow (quotes, newlines). */
const MAX_ADMIN_BODY_BYTES = 3 * MAX_METADATA_BYTES;
const ID_TOKEN_TTL_SECONDS = 300;

interface Flow {
  connectionId: string;
  clientId: string;
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

interface CodeGrant {
  connectionId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  claims: Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
};

const page = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'",
  });
  res.end(`<!doctype html><meta charset="utf-8"><title>Sign-in</title><p>${text}</p>`);
};

const oauthError = (error: string, description: string, status = 400) =>
  new HttpError(status, description, { error, error_description: description });

export async function startSamlBridge(options: SamlBridgeOptions): Promise<SamlBridgeServer> {
  const server = createServer();
  const host = options.host ?? "127.0.0.1";
  const address = await listen(server, options.port ?? 0, host);
  const publicUrl = (options.publicUrl ?? `http://${host}:${address.port}`).replace(/\/+$/, "");
  const signer = await tokenSigner(options.signingJwk);
  const log = options.log ?? (() => {});
  const { store } = options;
  const inputSchema = connectionInput(options.allowLoopbackHttp ?? false);

  const spOf = (id: string): ServiceProvider => {
    const sp = serviceProviderOf(publicUrl, id);
    return { entityId: sp.entity_id, acsUrl: sp.acs_url };
  };
  const connectionOf = async (id: string) => {
    const connection = await store.get<BridgeConnection>("connection", id);
    if (!connection) throw new HttpError(404, "unknown connection", { error: "not_found" });
    return connection;
  };

  async function admin(req: IncomingMessage, res: ServerResponse, id: string) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    if (!constantTimeEqual(token, options.adminToken))
      throw new HttpError(401, "unauthenticated", { error: "unauthenticated" });
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpError(400, "bad id", { error: "invalid_connection_id" });
    if (req.method === "DELETE") {
      await store.delete("connection", id);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== "PUT") throw new HttpError(405, "method", { error: "method_not_allowed" });
    const parsed = inputSchema.safeParse(JSON.parse((await readBody(req, MAX_ADMIN_BODY_BYTES)) || "null"));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message }));
      throw new HttpError(400, "invalid", { error: "invalid_request", issues });
    }
    const input = parsed.data;
    const idp = resolveIdp(input, options.allowLoopbackHttp ?? false);
    if ("issues" in idp)
      throw new HttpError(400, "invalid", { error: "invalid_request", issues: idp.issues });
    const existing = await store.get<BridgeConnection>("connection", id);
    if (existing && existing.tenantId !== input.tenant_id)
      throw new HttpError(409, "conflict", { error: "conflict" });
    // Every registration hands out a new client secret; the Worker stores it sealed.
    const clientSecret = randomToken(32);
    const connection: BridgeConnection = {
      id,
      tenantId: input.tenant_id,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCertificates: idp.certificates,
      clientId: id,
      clientSecretHash: sha256Hex(clientSecret),
      redirectUris: input.redirect_uris,
    };
    await store.put("connection", id, connection);
    log({ level: "info", msg: "connection registered", connection: id, tenant: input.tenant_id });
    json(res, existing ? 200 : 201, {
      issuer: issuerOf(publicUrl, id),
      client_id: connection.clientId,
      client_secret: clientSecret,
      service_provider: serviceProviderOf(publicUrl, id),
      // What the bridge now trusts, as read from the metadata when that is what came.
      idp: { entity_id: idp.entityId, sso_url: idp.ssoUrl, certificate_count: idp.certificates.length },
    });
  }

  function discovery(res: ServerResponse, id: string) {
    const issuer = issuerOf(publicUrl, id);
    json(
      res,
      200,
      {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${publicUrl}/jwks`,
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        scopes_supported: ["openid", "email", "profile", "groups"],
        claims_supported: ["sub", "email", "name", "groups", "nonce"],
        authorization_response_iss_parameter_supported: true,
      },
      { "cache-control": "public, max-age=300" },
    );
  }

  async function authorize(res: ServerResponse, url: URL, connection: BridgeConnection) {
    const q = url.searchParams;
    const redirectUri = q.get("redirect_uri") ?? "";
    if (q.get("client_id") !== connection.clientId || !connection.redirectUris.includes(redirectUri))
      return page(res, 400, "Unknown client or redirect URI.");
    const back = (error: string) => {
      const target = new URL(redirectUri);
      target.searchParams.set("error", error);
      if (q.get("state")) target.searchParams.set("state", q.get("state") as string);
      target.searchParams.set("iss", issuerOf(publicUrl, connection.id));
      res.writeHead(303, { location: target.href, "cache-control": "no-store" }).end();
    };
    if (q.get("response_type") !== "code") return back("unsupported_response_type");
    const codeChallenge = q.get("code_challenge") ?? "";
    if (q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge))
      return back("invalid_request");
    const state = q.get("state") ?? "";
    const nonce = q.get("nonce") ?? "";
    if (!state || !nonce || state.length > 512 || nonce.length > 512) return back("invalid_request");
    const requestId = `_${randomToken(24)}`;
    const flow: Flow = {
      connectionId: connection.id,
      clientId: connection.clientId,
      redirectUri,
      state,
      nonce,
      codeChallenge,
    };
    await store.put("flow", requestId, flow, REQUEST_TTL_MS);
    // node-saml writes the AuthnRequest (HTTP-Redirect binding) and records its id for InResponseTo.
    const location = await samlFor(connection, spOf(connection.id), store, requestId).getAuthorizeUrlAsync(
      "",
      undefined,
      {},
    );
    res.writeHead(302, { location, "cache-control": "no-store" }).end();
  }

  async function acs(req: IncomingMessage, res: ServerResponse, connection: BridgeConnection) {
    const form = new URLSearchParams(await readBody(req, Math.ceil(MAX_RESPONSE_BYTES * 1.4)));
    const samlResponse = form.get("SAMLResponse") ?? "";
    let identity: Awaited<ReturnType<typeof verifySamlResponse>>;
    try {
      identity = await verifySamlResponse(samlResponse, connection, spOf(connection.id), store);
    } catch (error) {
      const reason = error instanceof SamlRefusal ? error.reason : "internal";
      // The reason only: never the assertion, which carries personal data.
      log({ level: "warn", msg: "saml response refused", connection: connection.id, reason });
      if (!(error instanceof SamlRefusal)) throw error;
      return page(
        res,
        403,
        "Your identity provider's answer could not be verified. Start the sign-in again.",
      );
    }
    const flow = await store.take<Flow>("flow", identity.inResponseTo);
    if (!flow || flow.connectionId !== connection.id)
      return page(
        res,
        400,
        "This sign-in took too long or was already used. Start again from the application.",
      );
    const code = randomToken(32);
    const grant: CodeGrant = {
      connectionId: connection.id,
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      codeChallenge: flow.codeChallenge,
      claims: { ...claimsFromSaml(identity), nonce: flow.nonce, auth_time: Math.floor(Date.now() / 1000) },
    };
    await store.put("code", code, grant, CODE_TTL_MS);
    const target = new URL(flow.redirectUri);
    target.searchParams.set("code", code);
    target.searchParams.set("state", flow.state);
    target.searchParams.set("iss", issuerOf(publicUrl, connection.id));
    res.writeHead(303, { location: target.href, "cache-control": "no-store" }).end();
  }

  async function token(req: IncomingMessage, res: ServerResponse, connection: BridgeConnection) {
    const form = new URLSearchParams(await readBody(req, 16 * 1024));
    let clientId = form.get("client_id") ?? "";
    let clientSecret = form.get("client_secret") ?? "";
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (
      clientId !== connection.clientId ||
      !constantTimeEqual(sha256Hex(clientSecret), connection.clientSecretHash)
    )
      throw oauthError("invalid_client", "client authentication failed", 401);
    if (form.get("grant_type") !== "authorization_code")
      throw oauthError("unsupported_grant_type", "code only");
    const grant = await store.take<CodeGrant>("code", form.get("code") ?? "");
    if (
      !grant ||
      grant.connectionId !== connection.id ||
      grant.clientId !== clientId ||
      grant.redirectUri !== form.get("redirect_uri") ||
      s256(form.get("code_verifier") ?? "") !== grant.codeChallenge
    )
      throw oauthError("invalid_grant", "the code is unknown, used, expired or not yours");
    const idToken = await signer.sign(
      grant.claims,
      issuerOf(publicUrl, connection.id),
      clientId,
      ID_TOKEN_TTL_SECONDS,
    );
    json(res, 200, {
      access_token: randomToken(32),
      token_type: "Bearer",
      expires_in: ID_TOKEN_TTL_SECONDS,
      id_token: idToken,
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", publicUrl);
    if (url.pathname === "/health") return json(res, 200, { status: "ok" });
    if (url.pathname === "/jwks")
      return json(res, 200, signer.jwks, { "cache-control": "public, max-age=300" });
    const adminPath = /^\/admin\/connections\/([^/]+)$/.exec(url.pathname);
    if (adminPath) return admin(req, res, adminPath[1] as string);
    const match = /^\/c\/([0-9a-f-]{36})(\/.*)$/.exec(url.pathname);
    if (!match) throw new HttpError(404, "not found", { error: "not_found" });
    const [, id = "", rest] = match;
    const connection = await connectionOf(id);
    switch (`${req.method} ${rest}`) {
      case "GET /.well-known/openid-configuration":
        return discovery(res, id);
      case "GET /authorize":
        return authorize(res, url, connection);
      case "POST /token":
        return token(req, res, connection);
      case "POST /saml/acs":
        return acs(req, res, connection);
      case "GET /saml/metadata": {
        const sp = spOf(id);
        const xml = samlFor(connection, sp, store).generateServiceProviderMetadata(null, null);
        res.writeHead(200, {
          "content-type": "application/samlmetadata+xml",
          "cache-control": "public, max-age=300",
        });
        res.end(xml);
        return;
      }
      default:
        throw new HttpError(404, "not found", { error: "not_found" });
    }
  }

  server.on("request", (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.end();
      if (error instanceof HttpError) return json(res, error.status, error.body ?? { error: error.message });
      if (error instanceof SyntaxError) return json(res, 400, { error: "invalid_request" });
      if (error instanceof BodyTooLarge) return json(res, 413, { error: "too_large" });
      log({ level: "error", msg: "request failed", error: String(error) });
      json(res, 500, { error: "server_error" });
    });
  });

  return {
    url: publicUrl,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
