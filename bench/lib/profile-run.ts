import { queryAsOwner } from "../../test/support/postgres";
import { cpuDelta, cpuShare, cpuSnapshot } from "./cpu";
import { type ProfileSummary, profileThroughInspector, renderProfile, summarizeProfile } from "./cpu-profile";
import { type LoadOptions, type LoadResult, runLoad, summarize } from "./load";
import { progress } from "./progress";
import { PAGE_SIZE } from "./scenarios";

/**
 * `--profile list|create`: where the CPU of one request goes, per process, while the route is
 * loaded at the run's connections. workerd and the gateway are profiled through their DevTools
 * inspectors for exactly the measured window; Postgres has no profiler here (pg_stat_statements
 * needs `shared_preload_libraries`, i.e. a server restart this shared machine does not allow),
 * so its CPU comes from /proc and its work from pg_stat_database (transactions per request).
 */
export interface RouteProfile {
  route: "list" | "create";
  load: LoadResult;
  cpuMsPerRequest: { workerd: number; gateway: number; postgres: number; loadGenerator: number } | null;
  otherPercent: number | null;
  postgres: { transactionsPerRequest: number; rowsFetchedPerRequest: number };
  workerd: ProfileSummary;
  gateway: ProfileSummary;
}

interface DatabaseCounters {
  transactions: number;
  fetched: number;
}

async function databaseCounters(database: string): Promise<DatabaseCounters> {
  const [row] = await queryAsOwner<{ transactions: string; fetched: string }>(
    database,
    "select xact_commit + xact_rollback as transactions, tup_fetched as fetched from pg_stat_database where datname = $1",
    [database],
  );
  return { transactions: Number(row?.transactions ?? 0), fetched: Number(row?.fetched ?? 0) };
}

export async function profileRoute(options: {
  route: "list" | "create";
  workerUrl: string;
  inspectors: { workerd: string; gateway: string };
  pids: { workerd: number; gateway: number };
  database: string;
  listToken: string;
  createToken: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}): Promise<RouteProfile> {
  const load = (durationSeconds: number): LoadOptions =>
    options.route === "list"
      ? {
          url: `${options.workerUrl}/api/v1/crm/contacts?limit=${PAGE_SIZE}`,
          headers: { Authorization: `Bearer ${options.listToken}` },
          connections: options.connections,
          durationSeconds,
        }
      : {
          url: `${options.workerUrl}/api/v1/crm/contacts`,
          method: "POST",
          body: JSON.stringify({
            first_name: "Bench",
            last_name: "Write",
            company: "Peer Co",
            tags: ["bench"],
          }),
          headers: { Authorization: `Bearer ${options.createToken}`, "Content-Type": "application/json" },
          connections: options.connections,
          durationSeconds,
        };
  await runLoad(load(options.warmupSeconds));
  progress(`profile (${options.route}): ${options.durationSeconds} s with both profilers on`);
  // pg_stat_database is updated when a backend reports (at transaction end, at most every 500 ms,
  // and when idle): a short pause on both sides lets the counters settle.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const countersBefore = await databaseCounters(options.database);
  const before = cpuSnapshot(options.pids);
  const outer = await profileThroughInspector(options.inspectors.workerd, () =>
    profileThroughInspector(options.inspectors.gateway, () => runLoad(load(options.durationSeconds))),
  );
  const after = cpuSnapshot(options.pids);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const countersAfter = await databaseCounters(options.database);

  const run = outer.result.result;
  const result = summarize([run]);
  const expected = options.route === "list" ? "200" : "201";
  if ((result.statusCounts[expected] ?? 0) !== result.responses || result.errors > 0) {
    throw new Error(`profile: statuses ${JSON.stringify(result.statusCounts)}, ${result.errors} errors`);
  }
  const share = cpuShare(cpuDelta(before, after));
  const perRequest = (percent: number) =>
    Math.round(((percent / 100) * run.durationSeconds * 1000 * 1000) / result.responses) / 1000;
  // The two probes of pg_stat_database are transactions of their own.
  const transactions = countersAfter.transactions - countersBefore.transactions - 1;
  return {
    route: options.route,
    load: result,
    cpuMsPerRequest: share
      ? {
          workerd: perRequest(share.workerd),
          gateway: perRequest(share.gateway),
          postgres: perRequest(share.postgres),
          loadGenerator: perRequest(share.loadGenerator),
        }
      : null,
    otherPercent: share?.other ?? null,
    postgres: {
      transactionsPerRequest: Math.round((transactions / result.responses) * 100) / 100,
      rowsFetchedPerRequest:
        Math.round(((countersAfter.fetched - countersBefore.fetched) / result.responses) * 10) / 10,
    },
    workerd: summarizeProfile(outer.profile),
    gateway: summarizeProfile(outer.result.profile),
  };
}

export function renderRouteProfile(p: RouteProfile): string {
  const c = p.cpuMsPerRequest;
  return [
    `profile of the ${p.route === "list" ? "list (GET /api/v1/crm/contacts?limit=50)" : "create (POST /api/v1/crm/contacts)"}: ` +
      `${p.load.requestsPerSecond} req/s, p50 ${p.load.latencyMs.p50} ms, p99 ${p.load.latencyMs.p99} ms, p99.9 ${p.load.latencyMs.p999} ms over ${p.load.responses} requests`,
    c
      ? `CPU ms per request: workerd ${c.workerd}, gateway ${c.gateway}, postgres ${c.postgres}, load generator ${c.loadGenerator}; other processes ${p.otherPercent} % of a core`
      : "CPU: n/a (no /proc)",
    `postgres: ${p.postgres.transactionsPerRequest} transactions and ${p.postgres.rowsFetchedPerRequest} rows fetched per request (pg_stat_database)`,
    "",
    renderProfile("workerd (inspector)", p.workerd, p.load.responses),
    "",
    renderProfile("SQL gateway (inspector)", p.gateway, p.load.responses),
  ].join("\n");
}
