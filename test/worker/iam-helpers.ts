import { sql } from "drizzle-orm";
import { TEST_TENANTS } from "../support/tenants";
import { call, type Envelope, envelope, tokenFor } from "./helpers";
import { asTenant, rows } from "./oauth-helpers";

export type TenantKey = keyof typeof TEST_TENANTS;

export const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

/** An authenticated JSON call as the tenant's owner unless a token is given. */
export async function iam(
  path: string,
  init: { method?: string; json?: unknown; token?: string; tenant?: TenantKey } = {},
) {
  const token = init.token ?? (await tokenFor({ tenant: init.tenant ?? "c" }));
  const res = await call(`/api/v1/iam${path}`, {
    method: init.method ?? "GET",
    token,
    ...(init.json === undefined ? {} : { json: init.json }),
  });
  const empty: Envelope<unknown> = { status: "success", data: null, request_id: "" };
  return { res, body: res.status === 204 ? empty : await envelope<unknown>(res) };
}

export const fieldsOf = (body: { errors?: { field?: string }[] }) => (body.errors ?? []).map((e) => e.field);

/**
 * A member who can sign in: invited through the API (a new email becomes a user), given the
 * seeded demo password directly in the database (the platform has no password-setting flow
 * yet), and the invitation accepted in the database as the user would at sign-in (the sign-in
 * flow's own acceptance is tested in iam-members.test.ts).
 */
export async function memberWhoCanSignIn(role: string, tenant: TenantKey = "c") {
  const email = `${unique("m")}@${TEST_TENANTS[tenant].slug}.example`;
  const added = await iam("/members", { method: "POST", json: { email, role }, tenant });
  if (added.res.status !== 201) throw new Error(`add failed: ${JSON.stringify(added.body)}`);
  const id = (added.body.data as { id: string }).id;
  await rows(
    sql`update users set password_hash = (select password_hash from users where id = ${TEST_TENANTS[tenant].ownerId})
        where id = ${id}`,
  );
  await acceptInvitation(TEST_TENANTS[tenant].tenantId, id);
  return { id, email };
}

/** What the user's "Accept" at sign-in does, without the sign-in. */
export async function acceptInvitation(tenantId: string, userId: string): Promise<void> {
  const [accepted = []] = await asTenant(
    tenantId,
    sql`update memberships set status = 'active' where tenant_id = ${tenantId} and user_id = ${userId}
        and status = 'invited' and not is_deleted returning id`,
  );
  if (accepted.length !== 1) throw new Error(`no pending invitation of ${userId} in ${tenantId}`);
}

/** The payload of a JWT, unverified (the tests look at what the server put in it). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  return JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, unknown>;
}
