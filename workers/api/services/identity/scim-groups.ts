import { sql } from "drizzle-orm";
import { scimPatch } from "scim-patch";
import { parse as parseFilter, filter as scimFilter } from "scim2-parse-filter";
import { z } from "zod";
import type { Database } from "../../../../db/client";
import { tenantRows, utcIso } from "../../../../db/rows";
import { violatedUniqueConstraint } from "../../lib/db-errors";
import { normalisePatch } from "../../scim/dialects";
import { GROUP_SCHEMA, ScimError } from "../../scim/scim-error";
import { type ScimConnection, syncRoles } from "./scim-directory";

/**
 * SCIM groups of a connection. A group gives no access by itself: its displayName is matched
 * against the connection's `group_roles`, and each member's role follows the first mapping of a
 * group they are in (else `default_role`). Members are this connection's SCIM users (their ids).
 */
const GroupDocument = z.looseObject({
  displayName: z.string().trim().min(1).max(256),
  externalId: z.string().max(256).nullish(),
  members: z
    .array(z.looseObject({ value: z.string() }))
    .max(10_000)
    .nullish(),
});
type GroupDocument = z.infer<typeof GroupDocument>;

interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  member_ids: string[];
  created: string;
  last_modified: string;
}

const COLUMNS = sql`id, display_name, external_id, member_ids::text[] as member_ids,
  ${utcIso(sql`created_at`)} as created, ${utcIso(sql`updated_at`)} as last_modified`;

function parseGroup(body: unknown): GroupDocument {
  const parsed = GroupDocument.safeParse(body);
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

export function groupResource(row: GroupRow, baseUrl: string, withMembers = true) {
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    displayName: row.display_name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    ...(withMembers
      ? {
          members: row.member_ids.map((value) => ({
            value,
            $ref: `${baseUrl}/Users/${value}`,
            type: "User",
          })),
        }
      : {}),
    meta: {
      resourceType: "Group",
      created: row.created,
      lastModified: row.last_modified,
      location: `${baseUrl}/Groups/${row.id}`,
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function groupRow(db: Database, conn: ScimConnection, id: string): Promise<GroupRow> {
  if (!UUID.test(id)) throw new ScimError(404, "Group not found");
  const [rows = []] = await tenantRows(db, conn.tenantId, [
    sql`select ${COLUMNS} from scim_groups where connection_id = ${conn.id} and id = ${id}`,
  ]);
  const row = rows[0] as GroupRow | undefined;
  if (!row) throw new ScimError(404, "Group not found");
  return row;
}

/** Member ids must be this connection's users: anything else is a 400, never silently kept. */
async function checkedMembers(db: Database, conn: ScimConnection, doc: GroupDocument): Promise<string[]> {
  const ids = [...new Set((doc.members ?? []).map((m) => m.value))];
  if (ids.length === 0) return [];
  if (!ids.every((id) => UUID.test(id)))
    throw new ScimError(400, "members[].value must be user ids", "invalidValue");
  const [found = []] = await tenantRows(db, conn.tenantId, [
    sql`select id from sso_identities where connection_id = ${conn.id} and id = any(${sql.param(ids)}::uuid[])`,
  ]);
  if (found.length !== ids.length)
    throw new ScimError(400, "A member is not a user of this connection", "invalidValue");
  return ids;
}

export async function getScimGroup(
  db: Database,
  conn: ScimConnection,
  id: string,
  baseUrl: string,
  members = true,
) {
  return groupResource(await groupRow(db, conn, id), baseUrl, members);
}

export async function listScimGroups(
  db: Database,
  conn: ScimConnection,
  query: { filter?: string | undefined; startIndex: number; count: number; members: boolean },
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
    sql`select ${COLUMNS} from scim_groups where connection_id = ${conn.id} order by created_at, id limit 10000`,
  ]);
  const all = (rows as GroupRow[]).map((r) => groupResource(r, baseUrl)).filter((r) => !test || test(r));
  const page = all.slice(query.startIndex - 1, query.startIndex - 1 + query.count);
  return {
    total: all.length,
    items: query.members ? page : page.map(({ members: _members, ...rest }) => rest),
  };
}

async function write(
  db: Database,
  conn: ScimConnection,
  statement: ReturnType<typeof sql>,
): Promise<GroupRow> {
  try {
    const [rows = []] = await tenantRows(db, conn.tenantId, [statement]);
    const row = rows[0] as GroupRow | undefined;
    if (!row) throw new ScimError(404, "Group not found");
    return row;
  } catch (error) {
    if (violatedUniqueConstraint(error))
      throw new ScimError(409, "A group with this displayName exists", "uniqueness");
    throw error;
  }
}

/** Answers the group and the users whose role changed (their sockets close so they reconnect with it). */
export async function createScimGroup(db: Database, conn: ScimConnection, body: unknown, baseUrl: string) {
  const doc = parseGroup(body);
  const members = await checkedMembers(db, conn, doc);
  const row = await write(
    db,
    conn,
    sql`insert into scim_groups (tenant_id, connection_id, display_name, external_id, member_ids)
        values (${conn.tenantId}, ${conn.id}, ${doc.displayName}, ${doc.externalId ?? null}, ${sql.param(members)}::uuid[])
        returning ${COLUMNS}`,
  );
  return { resource: groupResource(row, baseUrl), changedUsers: await syncRoles(db, conn, members) };
}

async function replaceWith(
  db: Database,
  conn: ScimConnection,
  current: GroupRow,
  doc: GroupDocument,
  baseUrl: string,
) {
  const members = await checkedMembers(db, conn, doc);
  const row = await write(
    db,
    conn,
    sql`update scim_groups set display_name = ${doc.displayName}, external_id = ${doc.externalId ?? null},
          member_ids = ${sql.param(members)}::uuid[], updated_at = now()
        where id = ${current.id} and connection_id = ${conn.id} returning ${COLUMNS}`,
  );
  const touched = [...new Set([...current.member_ids, ...members])];
  return { resource: groupResource(row, baseUrl), changedUsers: await syncRoles(db, conn, touched) };
}

export async function replaceScimGroup(
  db: Database,
  conn: ScimConnection,
  id: string,
  body: unknown,
  baseUrl: string,
) {
  return replaceWith(db, conn, await groupRow(db, conn, id), parseGroup(body), baseUrl);
}

export async function patchScimGroup(
  db: Database,
  conn: ScimConnection,
  id: string,
  body: unknown,
  baseUrl: string,
) {
  const current = await groupRow(db, conn, id);
  const ops = normalisePatch(body);
  const resource = groupResource(current, baseUrl);
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
  return replaceWith(db, conn, current, parseGroup(patched), baseUrl);
}

export async function deleteScimGroup(db: Database, conn: ScimConnection, id: string) {
  const current = await groupRow(db, conn, id);
  await tenantRows(db, conn.tenantId, [
    sql`delete from scim_groups where id = ${current.id} and connection_id = ${conn.id}`,
  ]);
  return { changedUsers: await syncRoles(db, conn, current.member_ids) };
}
