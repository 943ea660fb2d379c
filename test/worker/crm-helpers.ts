import type { TEST_TENANTS } from "../support/tenants";
import { call, type Envelope, envelope, tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";

export type Tenant = keyof typeof TEST_TENANTS;

export interface LeadBody {
  id: string;
  contact_id: string | null;
  first_name: string;
  last_name: string | null;
  email: string | null;
  company: string | null;
  source: string;
  status: string;
  owner_id: string | null;
  custom_fields: Record<string, unknown>;
  converted_at: string | null;
  converted_opportunity_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface OpportunityBody {
  id: string;
  name: string;
  contact_id: string | null;
  lead_id: string | null;
  owner_id: string | null;
  stage: string;
  status: "open" | "won" | "lost";
  amount: string | null;
  currency: string;
  expected_close_date: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

export const unique = () => crypto.randomUUID().slice(0, 8);

/**
 * Tenant d (professional services) is where leads and opportunities live in these tests: its
 * leads need `service_line`, its contacts `client_status`.
 */
export const LEAD_FIELDS = { service_line: "audit" } as const;

/** A JSON request as `tenant`'s owner (default d), with its envelope. */
export async function send<T>(
  path: string,
  init: {
    method?: string;
    json?: unknown;
    tenant?: Tenant;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ res: Response; body: Envelope<T> }> {
  const res = await call(path, {
    method: init.method ?? "GET",
    ...(init.json === undefined ? {} : { json: init.json }),
    ...(init.headers ? { headers: init.headers } : {}),
    token: init.token ?? (await tokenFor({ tenant: init.tenant ?? "d" })),
  });
  const text = await res.text();
  return { res, body: (text ? JSON.parse(text) : {}) as Envelope<T> };
}

export async function newLead(json: Record<string, unknown> = {}, tenant: Tenant = "d"): Promise<LeadBody> {
  const { res, body } = await send<LeadBody>("/api/v1/crm/leads", {
    method: "POST",
    tenant,
    json: { first_name: "Lena", custom_fields: tenant === "d" ? LEAD_FIELDS : {}, ...json },
  });
  if (res.status !== 201) throw new Error(`lead not created: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

export async function newOpportunity(json: Record<string, unknown> = {}, tenant: Tenant = "d") {
  const { res, body } = await send<OpportunityBody>("/api/v1/crm/opportunities", {
    method: "POST",
    tenant,
    json: { name: `Deal ${unique()}`, ...json },
  });
  if (res.status !== 201) throw new Error(`opportunity not created: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** The outbox rows about a record (its id in `data`, or in `data.opportunity`), oldest first. */
export async function eventsAbout(id: string) {
  return (await ownerSql().query(
    `select event_type, payload from outbox_events
     where payload->'data'->>'id' = $1 or payload->'data'->'opportunity'->>'id' = $1
     order by created_at, event_type`,
    [id],
  )) as {
    event_type: string;
    payload: { data: Record<string, unknown>; metadata: Record<string, unknown> };
  }[];
}

/** The error fields of an envelope. */
export const fieldsOf = (body: Envelope) => body.errors?.map((e) => e.field);

/** An envelope without its request id: what a missing and a foreign id must share. */
export const withoutRequestId = (body: Envelope) => ({ ...body, request_id: "" });

export { envelope };

/**
 * A new active member of `tenant` (a user with its Member role), made behind the API's back: an
 * owner_id of its own, so a list filtered by owner sees only the records a test made.
 */
export async function newMember(tenant: Tenant = "d"): Promise<string> {
  const { TEST_TENANTS: tenants } = await import("../support/tenants");
  const id = crypto.randomUUID();
  const sql = ownerSql();
  await sql`insert into users (id, email, name) values (${id}, ${`member-${id}@example.com`}, 'Member')`;
  await sql`insert into memberships (tenant_id, user_id, role_id)
    select ${tenants[tenant].tenantId}, ${id}, id from roles
    where tenant_id = ${tenants[tenant].tenantId} and name = 'Member' and not is_deleted`;
  return id;
}
