import { randomUUID } from "node:crypto";
import { fillPlaceholders } from "drizzle-orm";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import pg from "pg";
import { CONTACT_QUERIES } from "../../workers/api/services/contact-queries";

/**
 * The benchmark's peer: the contacts list and create written the conventional way, as a team
 * would ship them on Node — Fastify 5, a `pg` Pool of 20, `jose` — to measure the Worker against
 * (bench/README.md, "The peer"). It is a reference, not a strawman:
 *
 * - every request verifies its RS256 token with jose against the same JWKS (algorithm, issuer,
 *   audience, `typ`, required claims, clock tolerance as the Worker checks them; nothing cached
 *   but what jose itself keeps, the imported public key);
 * - the list runs the Worker's own keyset query text (imported, so the two cannot drift apart),
 *   as a named prepared statement, and joins the rows Postgres rendered as JSON into the same
 *   envelope, so neither side parses and re-serialises the page;
 * - the create is one `insert … returning` with a JSON-schema-validated body, the row serialised
 *   by Fastify;
 * - logging off, as benchmarks of Fastify run it.
 *
 * What it does not do, and the Worker does: row-level security (it connects as a role that
 * bypasses it and relies on its `where tenant_id = $1` alone), rate limits, a log line per
 * request, residency, an outbox row and an after-commit publish per write.
 */
export interface PeerOptions {
  /** A role that sees every tenant's rows (the peer has no second wall). */
  databaseUrl: string;
  /** The key set that verifies the run's tokens: `{keys: [...]}`. */
  jwks: JSONWebKeySet;
  issuer: string;
  audience: string;
  poolSize?: number;
}

const ACCESS_TOKEN_TYPE = "at+jwt";
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_LIMIT = 100;
const JSON_TYPE = "application/json; charset=utf-8";
const PAGE = CONTACT_QUERIES.firstPage;

const contactColumns = `id, first_name, last_name, email, phone, company, job_title, tags, owner_id,
  custom_fields, created_at, updated_at`;

interface ContactRow {
  id: string;
  first_name: string;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
  job_title: string | null;
  tags: string[];
  owner_id: string | null;
  custom_fields: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const nullableText = (maxLength: number) => ({ type: ["string", "null"], maxLength });

const contactBody = {
  type: "object",
  additionalProperties: false,
  required: ["first_name"],
  properties: {
    first_name: { type: "string", minLength: 1, maxLength: 200 },
    last_name: nullableText(200),
    email: { type: ["string", "null"], format: "email", maxLength: 320 },
    phone: nullableText(50),
    company: nullableText(200),
    job_title: nullableText(200),
    tags: { type: "array", maxItems: 50, items: { type: "string", minLength: 1, maxLength: 50 } },
    owner_id: { type: ["string", "null"], format: "uuid" },
    custom_fields: { type: "object" },
  },
} as const;

interface ContactBody {
  first_name: string;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  company?: string | null;
  job_title?: string | null;
  tags?: string[];
  owner_id?: string | null;
  custom_fields?: Record<string, unknown>;
}

function failure(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .code(status)
    .type(JSON_TYPE)
    .send({ status: "error", errors: [{ code, message }], request_id: reply.request.id });
}

function cursorOf(t: string, id: string): string {
  return Buffer.from(JSON.stringify({ t, id })).toString("base64url");
}

declare module "fastify" {
  interface FastifyRequest {
    tenantId: string;
  }
}

export function buildPeer(options: PeerOptions): { app: FastifyInstance; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 20 });
  const keys = createLocalJWKSet(options.jwks);
  const app = Fastify({ logger: false, genReqId: () => randomUUID() });

  app.decorateRequest("tenantId", "");
  app.addHook("onRequest", async (request, reply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
    if (!match?.[1]) return failure(reply, 401, "UNAUTHENTICATED", "Missing bearer token");
    try {
      const { payload } = await jwtVerify(match[1], keys, {
        algorithms: ["RS256"],
        issuer: options.issuer,
        audience: options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["sub", "tenant_id", "region", "role", "scope", "jti", "iat", "exp"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload.tenant_id !== "string") throw new Error("no tenant");
      request.tenantId = payload.tenant_id;
    } catch {
      return failure(reply, 401, "UNAUTHENTICATED", "Invalid token");
    }
  });

  app.get<{ Querystring: { limit: number } }>(
    "/api/v1/crm/contacts",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: 50 } },
        },
      },
    },
    async (request, reply) => {
      const { limit } = request.query;
      const { rows } = await pool.query<{ json: string; t: string; id: string }>({
        name: "contacts_first_page",
        text: PAGE.sql,
        values: fillPlaceholders(PAGE.params, { tenantId: request.tenantId, limit: limit + 1 }),
      });
      const hasMore = rows.length > limit;
      const shown = hasMore ? rows.slice(0, limit) : rows;
      const last = shown.at(-1);
      const meta = { limit, cursor: hasMore && last ? cursorOf(last.t, last.id) : null, has_more: hasMore };
      return reply
        .type(JSON_TYPE)
        .send(
          `{"status":"success","data":[${shown.map((r) => r.json).join(",")}],"meta":${JSON.stringify(meta)},"request_id":${JSON.stringify(request.id)}}`,
        );
    },
  );

  app.post<{ Body: ContactBody }>(
    "/api/v1/crm/contacts",
    { schema: { body: contactBody } },
    async (request, reply) => {
      const b = request.body;
      const { rows } = await pool.query<ContactRow>({
        name: "contacts_insert",
        text: `insert into contacts (tenant_id, first_name, last_name, email, phone, company, job_title, tags, owner_id, custom_fields)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ${contactColumns}`,
        values: [
          request.tenantId,
          b.first_name,
          b.last_name ?? null,
          b.email ?? null,
          b.phone ?? null,
          b.company ?? null,
          b.job_title ?? null,
          b.tags ?? [],
          b.owner_id ?? null,
          b.custom_fields ?? {},
        ],
      });
      const contact = rows[0];
      if (!contact) throw new Error("insert returned no row");
      return reply
        .code(201)
        .header("location", `/api/v1/crm/contacts/${contact.id}`)
        .send({ status: "success", data: contact, request_id: request.id });
    },
  );

  return { app, pool };
}
