import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { acceptsIdempotencyKey, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  ListQuery,
  listOf,
  successOf,
  UuidParam,
} from "../schemas/common";
import {
  ScimToken,
  SsoConnection,
  SsoConnectionInput,
  SsoConnectionPatch,
  SsoDomain,
  SsoDomainInput,
} from "../schemas/sso";
import {
  createScimToken,
  createSsoConnection,
  deleteSsoConnection,
  getSsoConnection,
  listSsoConnections,
  MAX_SSO_CONNECTIONS_PER_TENANT,
  type SsoConnectionDeps,
  updateSsoConnection,
} from "../services/identity/sso-connections";
import {
  addSsoDomain,
  getSsoDomain,
  listSsoDomains,
  removeSsoDomain,
  VERIFICATION_LABEL,
  verifySsoDomain,
} from "../services/identity/sso-domains";
import { dohResolver } from "../sso/dns-txt";
import { IAM, pageBody, successBody } from "./iam-common";

const Page = ListQuery.omit({ include_total: true });

const depsOf = (c: Context<AppEnv>): SsoConnectionDeps => {
  const config = c.get("config");
  return {
    dataKey: config.dataEncryptionKey,
    regionUrl: config.regionUrls[config.region],
    allowLoopbackHttp: config.localRuntime,
    samlBridge: config.samlBridge,
  };
};

const SECRET_NOTE =
  "The client secret is stored encrypted (AES-256-GCM under the region's data key, bound to the connection) and " +
  "never appears in a response: only `has_client_secret`.";

/** Enterprise sign-in: a tenant's OpenID Connect connections and verified domains (issue 18). */
export function registerSsoRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const connections = `${base}/sso/connections`;
  const domains = `${base}/sso/domains`;
  const read = guardedBy("iam.sso.read");
  const write = guardedBy("iam.sso.write");

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      ...acceptsIdempotencyKey(),
      method: "post",
      path: connections,
      summary: "Connect the business's identity provider (OpenID Connect or SAML 2.0)",
      description:
        "Members whose e-mail domain is one of `domains`, once the tenant has verified it, are sent to this IdP " +
        "from the sign-in page. Register `data.redirect_uri` at the IdP. People are keyed by this connection and " +
        "the IdP's subject (Entra: `tid`+`oid`), never by e-mail; Google's `hd` claim must be one of `domains`. " +
        "With `jit`, a first sign-in makes the person a member with the role `group_roles` maps (else " +
        `\`default_role\`). ${SECRET_NOTE} One connection per issuer, at most ${MAX_SSO_CONNECTIONS_PER_TENANT} per ` +
        "tenant (409). Audited as `iam.sso_connection_created`. " +
        '`protocol: "saml"` with `saml` (the IdP\'s metadata XML, or its entity id, SSO URL and signing certificates) ' +
        "registers a SAML 2.0 IdP at the region's SAML bridge, which reads the metadata, verifies the IdP's signed " +
        "assertions and is then one more OpenID issuer for this connection: give the IdP `data.saml.sp_entity_id` and `data.saml.acs_url` (or its metadata at " +
        "`data.saml.metadata_url`). No SAML bridge in the region: 503.",
      request: jsonBody(SsoConnectionInput),
      responses: {
        201: jsonResponse(successOf(SsoConnection), "Connected"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const connection = await createSsoConnection(
        serviceContext(c),
        depsOf(c),
        requestInfo(c),
        c.req.valid("json"),
      );
      c.header("Location", `${connections}/${connection.id}`);
      return c.json(successBody(connection, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: connections,
      summary: "List identity provider connections",
      description: `Newest first, cursor pagination. ${SECRET_NOTE}`,
      request: { query: Page },
      responses: {
        200: jsonResponse(listOf(SsoConnection), "A page of connections"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listSsoConnections(serviceContext(c), depsOf(c), {
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${connections}/{id}`,
      summary: "Get an identity provider connection",
      description: `Another tenant's id is 404. ${SECRET_NOTE}`,
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(SsoConnection), "The connection"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(
          await getSsoConnection(serviceContext(c), depsOf(c), c.req.valid("param").id),
          c.get("requestId"),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "patch",
      path: `${connections}/{id}`,
      summary: "Change an identity provider connection",
      description:
        "Only the fields given change; `client_secret: null` removes the secret (a public client). The issuer " +
        "cannot change: it keys the connection's identities. `enabled: false` stops sign-ins through it at once. " +
        "Audited as `iam.sso_connection_updated`.",
      request: { params: UuidParam, ...jsonBody(SsoConnectionPatch) },
      responses: {
        200: jsonResponse(successOf(SsoConnection), "Changed"),
        ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const connection = await updateSsoConnection(
        serviceContext(c),
        depsOf(c),
        requestInfo(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json(successBody(connection, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "delete",
      path: `${connections}/{id}`,
      summary: "Delete an identity provider connection",
      description:
        "Soft delete: no more sign-ins or SCIM calls through it; its secret and SCIM token are erased. Members it " +
        "created stay members. Audited as `iam.sso_connection_deleted`.",
      request: { params: UuidParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await deleteSsoConnection(serviceContext(c), depsOf(c), requestInfo(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      // Like API key creation: a replay would hand out the once-shown secret from the idempotency store.
      ...refusesIdempotencyKey(),
      method: "post",
      path: `${connections}/{id}/scim-token`,
      summary: "Create the connection's SCIM token",
      description:
        "A bearer token for SCIM 2.0 provisioning at `data.base_url` (`/scim/v2/Users`, `/scim/v2/Groups`). Shown " +
        "once; stored as its SHA-256. A new token replaces the previous one at once. Audited as `iam.scim_token_created`. " +
        "`Idempotency-Key` is refused (400): a replay would have to keep the secret to answer it again; call again for a new token.",
      request: { params: UuidParam },
      responses: {
        201: jsonResponse(successOf(ScimToken), "The token"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const token = await createScimToken(
        serviceContext(c),
        depsOf(c),
        requestInfo(c),
        c.req.valid("param").id,
      );
      c.header("Cache-Control", "no-store");
      return c.json(successBody(token, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      ...acceptsIdempotencyKey(),
      method: "post",
      path: domains,
      summary: "Claim an e-mail domain",
      description:
        `Publish \`data.verification.record_value\` as a TXT record at \`${VERIFICATION_LABEL}.<domain>\`, then call ` +
        "verify. Public mailbox domains (gmail.com, outlook.com…) are refused (400). Audited as `iam.sso_domain_added`.",
      request: jsonBody(SsoDomainInput),
      responses: {
        201: jsonResponse(successOf(SsoDomain), "Claimed, not yet verified"),
        ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const domain = await addSsoDomain(serviceContext(c), requestInfo(c), c.req.valid("json").domain);
      c.header("Location", `${domains}/${domain.id}`);
      return c.json(successBody(domain, c.get("requestId")), 201);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: domains,
      summary: "List claimed domains",
      request: { query: Page },
      responses: {
        200: jsonResponse(listOf(SsoDomain), "A page of domains"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listSsoDomains(serviceContext(c), { limit: q.limit, cursor: q.cursor });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...read,
      method: "get",
      path: `${domains}/{id}`,
      summary: "Get a claimed domain",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(SsoDomain), "The domain"),
        ...errorResponses(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) =>
      c.json(
        successBody(await getSsoDomain(serviceContext(c), c.req.valid("param").id), c.get("requestId")),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      // Checking again is harmless and answers the same: nothing for a key to de-duplicate.
      ...refusesIdempotencyKey(),
      method: "post",
      path: `${domains}/{id}/verify`,
      summary: "Verify a claimed domain (DNS TXT)",
      description:
        "Looks the TXT record up through the region's DNS-over-HTTPS resolver. Found: `verified: true`, and the " +
        "domain's addresses are routed to the tenant's connections that list it. Not found yet: 409. A domain " +
        "another business verified first: 409. Resolver unreachable: 503. Audited as `iam.sso_domain_verified`. " +
        "`Idempotency-Key` is refused (400): checking again is harmless and answers the same.",
      request: { params: UuidParam },
      responses: {
        200: jsonResponse(successOf(SsoDomain), "Verified"),
        ...errorResponses(400, 401, 403, 404, 409, 429, 503),
      },
    }),
    async (c) => {
      const resolver = dohResolver(c.get("config").dnsResolverUrl);
      const domain = await verifySsoDomain(
        serviceContext(c),
        requestInfo(c),
        resolver,
        c.req.valid("param").id,
      );
      return c.json(successBody(domain, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...write,
      method: "delete",
      path: `${domains}/{id}`,
      summary: "Remove a claimed domain",
      description:
        "Its addresses are no longer routed to the tenant's connections, and get no JIT membership.",
      request: { params: UuidParam },
      responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 403, 404, 429, 503) },
    }),
    async (c) => {
      await removeSsoDomain(serviceContext(c), requestInfo(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
}
