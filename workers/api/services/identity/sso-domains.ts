import { sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { violatedUniqueConstraint } from "../../lib/db-errors";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { randomToken } from "../../oauth/encoding";
import type { TxtResolver } from "../../sso/dns-txt";
import { isFreeMailDomain } from "../../sso/free-mail";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";

export const VERIFICATION_LABEL = "_nexus-verification";
export const VERIFICATION_PREFIX = "nexus-verification=";
export const MAX_DOMAINS_PER_TENANT = 50;

interface DomainRow {
  id: string;
  domain: string;
  verification_token: string;
  verified_at: string | null;
  last_checked_at: string | null;
  created_at: string;
}

const COLUMNS = sql`id, domain, verification_token, ${utcIso(sql`verified_at`)} as verified_at,
  ${utcIso(sql`last_checked_at`)} as last_checked_at, ${utcIso(sql`created_at`)} as created_at`;

function view(row: DomainRow) {
  return {
    id: row.id,
    domain: row.domain,
    verified: row.verified_at !== null,
    verified_at: row.verified_at,
    last_checked_at: row.last_checked_at,
    verification: {
      record_type: "TXT" as const,
      record_name: `${VERIFICATION_LABEL}.${row.domain}`,
      record_value: `${VERIFICATION_PREFIX}${row.verification_token}`,
    },
    created_at: row.created_at,
  };
}
export type SsoDomainView = ReturnType<typeof view>;

export async function addSsoDomain(
  ctx: ServiceContext,
  info: RequestInfo,
  domain: string,
): Promise<SsoDomainView> {
  if (isFreeMailDomain(domain)) {
    throw ApiError.validation([
      { field: "domain", message: "A public mailbox provider's domain cannot be claimed by a business" },
    ]);
  }
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const [changed = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        insert into sso_domains (id, tenant_id, domain, verification_token)
        select ${id}, ${tenantId}, ${domain}, ${randomToken(24)}
        where (select count(*) from sso_domains where tenant_id = ${tenantId}) < ${MAX_DOMAINS_PER_TENANT}
        on conflict (tenant_id, domain) do nothing
        returning id)`,
      { ...byActor(ctx, "sso_domain"), action: "iam.sso_domain_added", targetId: id, details: { domain } },
      info,
    ),
    sql`select ${COLUMNS} from sso_domains where id = ${id}`,
  ]);
  if (changed.length === 0) {
    throw new ApiError(
      "CONFLICT",
      `The domain is already listed, or the tenant has ${MAX_DOMAINS_PER_TENANT}`,
      {
        field: "domain",
      },
    );
  }
  return view(rows[0] as DomainRow);
}

export async function listSsoDomains(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<SsoDomainView>> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${COLUMNS} from sso_domains where tenant_id = ${ctx.actor.tenantId}
        ${afterCursor(query.cursor, sql`created_at`, sql`id`)} order by created_at desc, id desc limit ${query.limit + 1}`,
  ]);
  const page = pageOf(rows as DomainRow[], query.limit);
  return { ...page, items: page.items.map(view) };
}

async function domainRow(ctx: ServiceContext, id: string): Promise<DomainRow> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${COLUMNS} from sso_domains where id = ${id} and tenant_id = ${ctx.actor.tenantId}`,
  ]);
  const row = rows[0] as DomainRow | undefined;
  if (!row) throw ApiError.notFound("Domain");
  return row;
}

export const getSsoDomain = async (ctx: ServiceContext, id: string) => view(await domainRow(ctx, id));

/**
 * Looks for `nexus-verification=<token>` in the TXT records at `_nexus-verification.<domain>`.
 * Found: the domain is verified (unless another tenant verified it first: 409). Not found: 409
 * saying so, the check time kept. A resolver failure is 503: nothing is concluded from it.
 */
export async function verifySsoDomain(
  ctx: ServiceContext,
  info: RequestInfo,
  resolver: TxtResolver,
  id: string,
): Promise<SsoDomainView> {
  const row = await domainRow(ctx, id);
  if (row.verified_at) return view(row);
  let records: string[];
  try {
    records = await resolver.txt(`${VERIFICATION_LABEL}.${row.domain}`);
  } catch {
    throw ApiError.unavailable("The DNS resolver could not be reached; try again shortly", 30);
  }
  const found = records.some((r) => r.trim() === `${VERIFICATION_PREFIX}${row.verification_token}`);
  const tenantId = ctx.actor.tenantId;
  if (!found) {
    await tenantRows(ctx.db, tenantId, [
      sql`update sso_domains set last_checked_at = now() where id = ${id}`,
    ]);
    throw new ApiError(
      "CONFLICT",
      `No TXT record ${VERIFICATION_PREFIX}${row.verification_token} at ${VERIFICATION_LABEL}.${row.domain} yet ` +
        "(DNS changes can take a while to be seen)",
      { field: "domain" },
    );
  }
  // A concurrent verify of the same row may win the update: the answer is the same either way.
  const [, rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        update sso_domains set verified_at = now(), last_checked_at = now(), updated_at = now()
        where id = ${id} and verified_at is null
        returning id)`,
      {
        ...byActor(ctx, "sso_domain"),
        action: "iam.sso_domain_verified",
        targetId: id,
        details: { domain: row.domain },
      },
      info,
    ),
    sql`select ${COLUMNS} from sso_domains where id = ${id}`,
  ]).catch((error: unknown) => {
    if (violatedUniqueConstraint(error) === "sso_domains_verified_key") {
      throw new ApiError("CONFLICT", "Another business has already verified this domain", {
        field: "domain",
      });
    }
    throw error;
  });
  return view(rows[0] as DomainRow);
}

export async function removeSsoDomain(ctx: ServiceContext, info: RequestInfo, id: string): Promise<void> {
  const [changed = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    auditedChange(
      sql`change as (delete from sso_domains where id = ${id} and tenant_id = ${ctx.actor.tenantId} returning id, domain)`,
      { ...byActor(ctx, "sso_domain"), action: "iam.sso_domain_removed", targetId: id },
      info,
    ),
  ]);
  if (changed.length === 0) throw ApiError.notFound("Domain");
}
