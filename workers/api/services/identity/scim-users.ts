import { sql } from "drizzle-orm";
import { type ScimPatchOperation, scimPatch } from "scim-patch";
import { parse as parseFilter, filter as scimFilter } from "scim2-parse-filter";
import { z } from "zod";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows, utcIso } from "../../../../db/rows";
import { violatedUniqueConstraint } from "../../lib/db-errors";
import { normalisePatch } from "../../scim/dialects";
import { ScimError, USER_SCHEMA } from "../../scim/scim-error";
import { auditInsert } from "./audit";
import type { RequestInfo } from "./request-info";
import { checkProvisionableEmail, type ScimConnection } from "./scim-directory";

/** What a write did beyond its answer: the route revokes tokens and closes sockets after it. */
export interface ScimEffects {
  userId: string | undefined;
  revokedFamilies: string[];
  membershipChanged: boolean;
}

const booleanish = (v: unknown) =>
  typeof v === "string" && /^(true|false)$/i.test(v) ? v.toLowerCase() === "true" : v;

const UserDocument = z.looseObject({
  userName: z.string().trim().min(1).max(256),
  externalId: z.string().max(256).nullish(),
  active: z.preprocess(booleanish, z.boolean()).optional(),
  displayName: z.string().max(256).nullish(),
  name: z
    .looseObject({
      formatted: z.string().max(256).nullish(),
      givenName: z.string().max(256).nullish(),
      familyName: z.string().max(256).nullish(),
    })
    .nullish(),
  emails: z
    .array(
      z.looseObject({
        value: z.string().max(254),
        primary: z.preprocess(booleanish, z.boolean()).optional(),
      }),
    )
    .max(20)
    .nullish(),
});
type UserDocument = z.infer<typeof UserDocument>;

function parseUser(body: unknown): UserDocument {
  const parsed = UserDocument.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScimError(
      400,
      `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
      "invalidValue",
    );
  }
  return parsed.data;
}

const emailOf = (doc: UserDocument) =>
  (doc.emails?.find((e) => e.primary) ?? doc.emails?.[0])?.value.trim() ?? doc.userName;

const displayNameOf = (doc: UserDocument) =>
  doc.displayName ??
  doc.name?.formatted ??
  ([doc.name?.givenName, doc.name?.familyName].filter(Boolean).join(" ") ||
    emailOf(doc).split("@")[0] ||
    doc.userName);

interface IdentityRow {
  id: string;
  user_id: string;
  external_id: string | null;
  user_name: string;
  email: string | null;
  active: boolean;
  attributes: { name?: unknown; displayName?: string };
  created: string;
  last_modified: string;
}

const IDENTITY_COLUMNS = sql`i.id, i.user_id, i.external_id, coalesce(i.scim_user_name, i.email) as user_name, i.email,
  coalesce(i.scim_active, true) as active, i.scim_attributes as attributes,
  ${utcIso(sql`i.created_at`)} as created, ${utcIso(sql`i.updated_at`)} as last_modified`;

export function userResource(row: IdentityRow, baseUrl: string) {
  return {
    schemas: [USER_SCHEMA],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    userName: row.user_name,
    ...(row.attributes.name ? { name: row.attributes.name } : {}),
    ...(row.attributes.displayName ? { displayName: row.attributes.displayName } : {}),
    emails: row.email ? [{ value: row.email, primary: true, type: "work" }] : [],
    active: row.active,
    meta: {
      resourceType: "User",
      created: row.created,
      lastModified: row.last_modified,
      location: `${baseUrl}/Users/${row.id}`,
    },
  };
}
export type ScimUserResource = ReturnType<typeof userResource>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function identityRow(db: Database, conn: ScimConnection, id: string): Promise<IdentityRow> {
  if (!UUID.test(id)) throw new ScimError(404, "User not found");
  const [rows = []] = await tenantRows(db, conn.tenantId, [
    sql`select ${IDENTITY_COLUMNS} from sso_identities i where i.connection_id = ${conn.id} and i.id = ${id}`,
  ]);
  const row = rows[0] as IdentityRow | undefined;
  if (!row) throw new ScimError(404, "User not found");
  return row;
}

export async function getScimUser(db: Database, conn: ScimConnection, id: string, baseUrl: string) {
  return userResource(await identityRow(db, conn, id), baseUrl);
}

/** Filters (RFC 7644 §3.4.2.2) are parsed and evaluated by scim2-parse-filter, over this connection's users. */
export async function listScimUsers(
  db: Database,
  conn: ScimConnection,
  query: { filter?: string | undefined; startIndex: number; count: number },
  baseUrl: string,
) {
  let test: ((r: unknown) => boolean) | undefined;
  if (query.filter) {
    try {
      test = scimFilter(parseFilter(query.filter));
    } catch {
      throw new ScimError(400, "The filter cannot be parsed", "invalidFilter");
    }
  }
  const [rows = []] = await tenantRows(db, conn.tenantId, [
    sql`select ${IDENTITY_COLUMNS} from sso_identities i where i.connection_id = ${conn.id}
        order by i.created_at, i.id limit 10000`,
  ]);
  const all = (rows as IdentityRow[]).map((r) => userResource(r, baseUrl)).filter((r) => !test || test(r));
  return { total: all.length, items: all.slice(query.startIndex - 1, query.startIndex - 1 + query.count) };
}

/** An IdP never suspends or removes an Owner: that stays with the tenant's own Owners. */
const isOwner = (conn: ScimConnection, userId: string) => sql`exists (
  select 1 from memberships m join roles r on r.id = m.role_id
  where m.tenant_id = ${conn.tenantId} and m.user_id = ${userId} and not m.is_deleted and r.is_system and r.name = 'Owner')`;

/** Suspends or reactivates the membership (never an Owner's); a suspension revokes the member's refresh tokens here. */
async function setMembershipActive(db: Database, conn: ScimConnection, userId: string, active: boolean) {
  const status = active ? "active" : "suspended";
  const [changed = [], families = []] = await tenantRows(db, conn.tenantId, [
    sql`update memberships m set status = ${status}, updated_at = now() from roles r
        where m.tenant_id = ${conn.tenantId} and m.user_id = ${userId} and not m.is_deleted and r.id = m.role_id
          and not (r.is_system and r.name = 'Owner') and m.status <> ${status}
        returning m.id`,
    active
      ? sql`select null::uuid as id where false`
      : sql`update refresh_families set revoked_at = now(), revoked_reason = 'scim_deactivated'
            where tenant_id = ${conn.tenantId} and user_id = ${userId} and revoked_at is null
              and not ${isOwner(conn, userId)} returning id`,
  ]);
  return { changed: changed.length > 0, families: (families as { id: string }[]).map((f) => f.id) };
}

function attributesOf(doc: UserDocument) {
  return JSON.stringify({
    ...(doc.name ? { name: doc.name } : {}),
    displayName: displayNameOf(doc),
  });
}

export async function createScimUser(
  db: Database,
  conn: ScimConnection,
  body: unknown,
  baseUrl: string,
  info: RequestInfo,
): Promise<{ resource: ScimUserResource; effects: ScimEffects }> {
  const doc = parseUser(body);
  const email = emailOf(doc);
  await checkProvisionableEmail(db, conn, email);
  const active = doc.active ?? true;
  const [user] = await rowsOf<{ id: string }>(
    db,
    sql`with inserted as (
          insert into users (email, name) values (${email}, ${displayNameOf(doc)})
          on conflict (lower(email)) where not is_deleted do nothing returning id)
        select id from inserted union all
        select id from users where lower(email) = lower(${email}) and not is_deleted limit 1`,
  );
  if (!user) throw new Error("user upsert returned nothing");
  let identity: unknown[] = [];
  try {
    [identity = []] = await tenantRows(db, conn.tenantId, [
      // A person who signed in just in time before SCIM was set up is adopted, not duplicated.
      sql`insert into sso_identities (tenant_id, connection_id, user_id, email, external_id, scim_user_name, scim_active, scim_attributes)
          values (${conn.tenantId}, ${conn.id}, ${user.id}, ${email}, ${doc.externalId ?? null}, ${doc.userName}, ${active},
                  ${attributesOf(doc)}::jsonb)
          on conflict (connection_id, user_id) do update set scim_user_name = excluded.scim_user_name,
            external_id = excluded.external_id, scim_active = excluded.scim_active, scim_attributes = excluded.scim_attributes,
            email = excluded.email, updated_at = now()
          where sso_identities.scim_user_name is null
          returning id`,
      sql`insert into memberships (tenant_id, user_id, role_id, status)
          select ${conn.tenantId}, ${user.id}, r.id, ${active ? "active" : "suspended"} from roles r
          where r.tenant_id = ${conn.tenantId} and r.name = ${conn.defaultRole} and not r.is_deleted
          on conflict do nothing`,
      auditInsert(
        {
          tenantId: conn.tenantId,
          action: "iam.member_provisioned",
          outcome: "success",
          actorType: "system",
          actorId: `scim:${conn.id}`,
          targetType: "user",
          targetId: user.id,
          details: { connection: conn.id },
        },
        info,
      ),
    ]);
  } catch (error) {
    if (violatedUniqueConstraint(error))
      throw new ScimError(409, "A user with this userName exists", "uniqueness");
    throw error;
  }
  const identityId = (identity[0] as { id: string } | undefined)?.id;
  if (!identityId) throw new ScimError(409, "A user with this userName or e-mail exists", "uniqueness");
  const membership = await setMembershipActive(db, conn, user.id, active);
  return {
    resource: await getScimUser(db, conn, identityId, baseUrl),
    effects: { userId: user.id, revokedFamilies: membership.families, membershipChanged: membership.changed },
  };
}

async function writeUser(
  db: Database,
  conn: ScimConnection,
  current: IdentityRow,
  doc: UserDocument,
  baseUrl: string,
): Promise<{ resource: ScimUserResource; effects: ScimEffects }> {
  const email = emailOf(doc);
  if (email.toLowerCase() !== (current.email ?? "").toLowerCase())
    await checkProvisionableEmail(db, conn, email);
  const active = doc.active ?? true;
  try {
    await tenantRows(db, conn.tenantId, [
      sql`update sso_identities set scim_user_name = ${doc.userName}, external_id = ${doc.externalId ?? null},
            email = ${email}, scim_active = ${active}, scim_attributes = ${attributesOf(doc)}::jsonb, updated_at = now()
          where id = ${current.id} and connection_id = ${conn.id}`,
    ]);
  } catch (error) {
    if (violatedUniqueConstraint(error))
      throw new ScimError(409, "A user with this userName exists", "uniqueness");
    throw error;
  }
  const membership = await setMembershipActive(db, conn, current.user_id, active);
  return {
    resource: await getScimUser(db, conn, current.id, baseUrl),
    effects: {
      userId: current.user_id,
      revokedFamilies: membership.families,
      membershipChanged: membership.changed,
    },
  };
}

export async function replaceScimUser(
  db: Database,
  conn: ScimConnection,
  id: string,
  body: unknown,
  baseUrl: string,
) {
  return writeUser(db, conn, await identityRow(db, conn, id), parseUser(body), baseUrl);
}

export async function patchScimUser(
  db: Database,
  conn: ScimConnection,
  id: string,
  body: unknown,
  baseUrl: string,
) {
  const current = await identityRow(db, conn, id);
  const ops: ScimPatchOperation[] = normalisePatch(body);
  const resource = userResource(current, baseUrl);
  let patched: unknown;
  try {
    patched = scimPatch(
      { ...resource, meta: { ...resource.meta, created: new Date(), lastModified: new Date() } },
      ops,
      {
        mutateDocument: false,
        treatMissingAsAdd: true,
      },
    );
  } catch (error) {
    throw new ScimError(400, `The patch cannot be applied: ${(error as Error).message}`, "invalidValue");
  }
  return writeUser(db, conn, current, parseUser(patched), baseUrl);
}

/** SCIM DELETE: the membership ends as a member removal does, and the identity is gone. */
export async function deleteScimUser(
  db: Database,
  conn: ScimConnection,
  id: string,
  info: RequestInfo,
): Promise<ScimEffects> {
  const current = await identityRow(db, conn, id);
  const [removed = [], families = []] = await tenantRows(db, conn.tenantId, [
    sql`update memberships m set is_deleted = true, deleted_at = now(), updated_at = now() from roles r
        where m.tenant_id = ${conn.tenantId} and m.user_id = ${current.user_id} and not m.is_deleted
          and r.id = m.role_id and not (r.is_system and r.name = 'Owner')
        returning m.id`,
    sql`update refresh_families set revoked_at = now(), revoked_reason = 'scim_deprovisioned'
        where tenant_id = ${conn.tenantId} and user_id = ${current.user_id} and revoked_at is null
          and not ${isOwner(conn, current.user_id)} returning id`,
    sql`update scim_groups set member_ids = array_remove(member_ids, ${current.id}::uuid), updated_at = now()
        where connection_id = ${conn.id} and ${current.id}::uuid = any(member_ids)`,
    sql`delete from sso_identities where id = ${current.id}`,
    auditInsert(
      {
        tenantId: conn.tenantId,
        action: "iam.member_deprovisioned",
        outcome: "success",
        actorType: "system",
        actorId: `scim:${conn.id}`,
        targetType: "user",
        targetId: current.user_id,
        details: { connection: conn.id },
      },
      info,
    ),
  ]);
  return {
    userId: current.user_id,
    revokedFamilies: (families as { id: string }[]).map((f) => f.id),
    membershipChanged: removed.length > 0,
  };
}
