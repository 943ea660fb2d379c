/**
 * Operator commands for the people who run the regions (with wrangler). They act on a region's
 * own database as its owner role and on the regions' public endpoints; nothing here goes through
 * a tenant's credentials.
 *
 *   npm run ops -- tenant show <id|slug> [--region R]
 *   npm run ops -- tenant suspend|resume <id|slug> [--region R]
 *   npm run ops -- tenant set-tier <id|slug> starter|professional|enterprise [--region R]
 *   npm run ops -- tenant set-limits <id|slug> [--tenant N/S] [--user N/S] [--ip N/S] [--burst N/S] | --reset
 *   npm run ops -- migrations status
 *   npm run ops -- health
 *
 * Where each region is: --eu-db/--lagos-db (owner connection), --eu-http/--lagos-http (SQL over
 * HTTP endpoint: the Lagos gateway), --eu-url/--lagos-url (base URL), or DATABASE_OWNER_URL_EU,
 * DATABASE_HTTP_URL_LAGOS, NEXUS_URL_EU, …; with none, a running `npm run dev` (--data-dir).
 * Exit codes: 0 done (or healthy), 1 refused or unhealthy, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { tenantTiers } from "../db/schema/tenants";
import { DEFAULT_DATA_DIR } from "../regions/local/paths";
import { isRegionId, REGION_IDS, type RegionId } from "../regions/registry";
import type { RateLimitOverrides } from "../workers/api/limits/policies";
import { type AccessFlags, allRegions, type RegionAccess, regionAccess } from "./lib/ops-regions";
import { healthOf, migrationStatus } from "./lib/ops-status";
import {
  changeTenant,
  findTenant,
  parseWindowLimit,
  type TenantChange,
  type TenantReport,
} from "./lib/ops-tenant";

const USAGE = `usage: npm run -s ops -- <command> [options]
  tenant show <id|slug>                       the tenant's row, limits in force, counts
  tenant suspend <id|slug>                    refuse its requests (403) from the next directory read
  tenant resume <id|slug>                     serve it again
  tenant set-tier <id|slug> <tier>            ${tenantTiers.join(", ")}
  tenant set-limits <id|slug> [--tenant N/S] [--user N/S] [--ip N/S] [--burst N/S] | --reset
  migrations status                           applied and pending migrations, per region
  health                                      both regions' /health, one line each
options:
  --region R              only this region (${REGION_IDS.join(", ")}); tenants are looked up in every region by default
  --json                  JSON output
  --eu-db URL, --lagos-db URL        owner database connection (or DATABASE_OWNER_URL_EU, …)
  --eu-http URL, --lagos-http URL    SQL-over-HTTP endpoint (the Lagos gateway; or DATABASE_HTTP_URL_LAGOS, …)
  --eu-url URL, --lagos-url URL      region base URL (or NEXUS_URL_EU, …)
  --data-dir DIR          a running npm run dev's data folder (default ${DEFAULT_DATA_DIR})`;

class UsageError extends Error {}

const regionOptions = Object.fromEntries(
  REGION_IDS.flatMap((r) => [
    [`${r}-db`, { type: "string" as const }],
    [`${r}-http`, { type: "string" as const }],
    [`${r}-url`, { type: "string" as const }],
  ]),
);

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h", default: false },
        json: { type: "boolean", default: false },
        region: { type: "string" },
        "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
        tenant: { type: "string" },
        user: { type: "string" },
        ip: { type: "string" },
        burst: { type: "string" },
        reset: { type: "boolean", default: false },
        ...regionOptions,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const print = (json: boolean, value: unknown, text: string) =>
  console.log(json ? JSON.stringify(value, null, 2) : text);

function describeTenant(t: TenantReport): string {
  const width = 16;
  const line = (k: string, v: unknown) =>
    `${k.padEnd(width)}${typeof v === "object" ? JSON.stringify(v) : String(v)}`;
  return [
    line("id", t.id),
    line("name", t.name),
    line("slug", t.slug),
    line("region", t.region),
    line("country", t.country ?? ""),
    line("industry", t.industry ?? ""),
    line("status", t.is_deleted ? `${t.status} (deleted)` : t.status),
    line("tier", t.tier),
    line("overrides", t.rate_limits),
    line(
      "limits",
      Object.entries(t.limits_in_force)
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    ),
    line("members", t.members),
    line("active keys", t.active_api_keys),
    line("contacts", t.contacts),
    line("created", t.created_at),
  ].join("\n");
}

async function locate(
  regions: RegionAccess[],
  idOrSlug: string,
): Promise<{ access: RegionAccess; tenant: TenantReport }> {
  for (const access of regions) {
    const tenant = await findTenant(access, idOrSlug);
    if (tenant) return { access, tenant };
  }
  throw new Error(`no tenant ${idOrSlug} in ${regions.map((r) => r.region).join(" or ")}`);
}

async function run(): Promise<number> {
  const { values, positionals } = parse();
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.region && !isRegionId(values.region))
    throw new UsageError(`--region: one of ${REGION_IDS.join(", ")}`);
  const pick = (suffix: string) =>
    Object.fromEntries(
      REGION_IDS.flatMap((r) => {
        const v = (values as Record<string, unknown>)[`${r}-${suffix}`];
        return typeof v === "string" ? [[r, v]] : [];
      }),
    ) as Partial<Record<RegionId, string>>;
  const flags: AccessFlags = {
    dataDir: values["data-dir"] as string,
    databaseUrls: pick("db"),
    httpEndpoints: pick("http"),
    urls: pick("url"),
  };
  const regions = values.region ? [regionAccess(values.region as RegionId, flags)] : allRegions(flags);
  const json = Boolean(values.json);
  const [group, command, ...rest] = positionals;

  if (group === "health") {
    const summaries = await Promise.all(regions.map(healthOf));
    print(
      json,
      summaries,
      summaries
        .map(
          (h) =>
            `${h.region.padEnd(6)} ${h.status.padEnd(9)} ${String(h.latency_ms).padStart(5)} ms  ${h.url}  ` +
            (h.error ??
              Object.entries(h.dependencies)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ")),
        )
        .join("\n"),
    );
    return summaries.every((h) => h.status === "ok") ? 0 : 1;
  }
  if (group === "migrations" && command === "status") {
    const statuses = [];
    for (const access of regions) statuses.push(await migrationStatus(access));
    print(
      json,
      statuses,
      statuses
        .map((s) =>
          s.error
            ? `${s.region.padEnd(6)} unreachable: ${s.error}`
            : `${s.region.padEnd(6)} ${s.applied}/${s.total} applied` +
              (s.pending.length ? `, pending: ${s.pending.join(", ")}` : ", up to date") +
              (s.unknown ? `, ${s.unknown} applied that this checkout does not have (newer code ran)` : ""),
        )
        .join("\n"),
    );
    return statuses.every((s) => !s.error && s.pending.length === 0) ? 0 : 1;
  }
  if (group === "tenant" && command) {
    const [idOrSlug, argument] = rest;
    if (!idOrSlug) throw new UsageError(`tenant ${command}: name the tenant (id or slug)`);
    const { access, tenant } = await locate(regions, idOrSlug);
    let change: TenantChange;
    switch (command) {
      case "show":
        print(json, tenant, describeTenant(tenant));
        return 0;
      case "suspend":
        change = { kind: "status", status: "suspended" };
        break;
      case "resume":
        change = { kind: "status", status: "active" };
        break;
      case "set-tier":
        if (!argument || !(tenantTiers as readonly string[]).includes(argument)) {
          throw new UsageError(`tenant set-tier: the tier, one of ${tenantTiers.join(", ")}`);
        }
        change = { kind: "tier", tier: argument as (typeof tenantTiers)[number] };
        break;
      case "set-limits": {
        const overrides: RateLimitOverrides = values.reset ? {} : { ...tenant.rate_limits };
        let given = values.reset;
        for (const layer of ["tenant", "user", "ip", "burst"] as const) {
          const value = values[layer];
          if (typeof value === "string") {
            given = true;
            try {
              overrides[layer] = parseWindowLimit(layer, value);
            } catch (error) {
              throw new UsageError((error as Error).message);
            }
          }
        }
        if (!given) {
          throw new UsageError(
            "tenant set-limits: give --tenant, --user, --ip or --burst (LIMIT/SECONDS), or --reset",
          );
        }
        change = { kind: "limits", rateLimits: overrides };
        break;
      }
      default:
        throw new UsageError(`tenant: unknown command ${command}`);
    }
    const { directory } = await changeTenant(access, tenant.id, change);
    const after = await findTenant(access, tenant.id);
    const note =
      directory === "invalidated"
        ? "directory entry dropped: every edge applies it within 30 s"
        : directory === "failed"
          ? "could not reach Upstash: the edge applies it when its directory entry expires (≤ 5 min 30 s)"
          : "no Upstash configured: the edge applies it within 30 s";
    print(json, { tenant: after, directory }, `${after ? describeTenant(after) : tenant.id}\n(${note})`);
    return 0;
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

try {
  process.exitCode = await run();
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`ops: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`ops: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
