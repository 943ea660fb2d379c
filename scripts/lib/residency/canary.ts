import type { StackInfo } from "../../../regions/local/stack-info";
import { REGION_IDS, type RegionId } from "../../../regions/registry";
import { writeCanaryData } from "./marker-writes";
import { eventually, globalScans, regionScans, relayRunning } from "./region-stores";
import type { ScanResult } from "./store-scans";

/**
 * The residency canary (README "Privacy"): for each region H, a new tenant of H gets a unique
 * marker written through every feature; then every store of the other region is scanned, and
 * the check fails if the marker is anywhere there, or in a store no region may hold personal
 * data in (Upstash, the global model endpoint). The home region's own stores must hold the
 * marker (where they take it), so a scanner that silently reads nothing fails the check instead
 * of passing it.
 */

export interface CanaryOptions {
  stack: StackInfo;
  dataDir: string;
  natsUrl: string;
  log: (line: string) => void;
}

export interface DirectionOutcome {
  home: RegionId;
  marker: string;
  tenantId: string;
  /** Stores outside the home region where the marker was found. */
  violations: ScanResult[];
  /** Home stores that should hold the marker and do not (the scan would prove nothing). */
  missingAtHome: ScanResult[];
  passed: boolean;
}

/**
 * The home tables each feature's write must reach: a home scan that misses one means a write went
 * elsewhere or the scan reads the wrong database, and either way the check would prove nothing.
 */
const FEATURE_TABLES = [
  "contacts",
  "leads",
  "invoices",
  "payments",
  "provider_events",
  "chat_messages",
  "webhook_endpoints",
  "resources",
  "search_documents",
  "ai_messages",
  "outbox_events",
];

function report(log: (line: string) => void, result: ScanResult, expectation: "absent" | "present") {
  const found = result.hits.length > 0;
  const ok = expectation === "absent" ? !found : found;
  const what = found ? `marker found: ${result.hits.slice(0, 5).join(", ")}` : "marker not found";
  log(`  ${ok ? "✓" : "✗"} ${result.store}: ${what} (${result.scanned})`);
  return ok;
}

/** One direction: a tenant of `home`, the other region's stores (and the global ones) scanned. */
export async function runDirection(options: CanaryOptions, home: RegionId): Promise<DirectionOutcome> {
  const { log, stack } = options;
  const away = REGION_IDS.find((r) => r !== home) as RegionId;
  const marker = `canary-${home}-${crypto.randomUUID().replaceAll("-", "")}`;
  const since = new Date(Date.now() - 1000);
  log(`${home} tenant, marker ${marker}: writing through every feature`);
  const tenant = await writeCanaryData({
    region: home,
    regionUrls: stack.regionUrls,
    paymentProvidersUrl: stack.paymentProvidersUrl ?? "",
    marker,
    log,
  });

  log(`${home} tenant ${tenant.tenantId}: the ${home} region's own stores hold it (the scans see data)`);
  const homeScans = regionScans(options, home, since, marker);
  const missingAtHome: ScanResult[] = [];
  const database = await homeScans.postgres();
  const missingTables = FEATURE_TABLES.filter(
    (t) => !database.hits.some((h) => h.startsWith(`public.${t} `)),
  );
  report(log, { ...database, hits: database.hits.slice(0, 30) }, "present");
  if (missingTables.length > 0) {
    log(`  ✗ ${home} Postgres lacks the marker in: ${missingTables.join(", ")}`);
    missingAtHome.push({ ...database, hits: missingTables });
  }
  const mustHold = [homeScans.models];
  if (relayRunning(stack)) mustHold.push(homeScans.jetStream);
  for (const scan of mustHold) {
    const result = await eventually(scan, 15_000);
    if (!report(log, result, "present")) missingAtHome.push(result);
  }

  // Not even at home: Durable Object storage holds ids, counters and in-flight state only (a
  // Lagos object's placement is a best-effort hint), and logs carry no personal data.
  log(`${home} tenant: the ${home} stores that hold no personal data by design`);
  const violations: ScanResult[] = [];
  for (const scan of [homeScans.durableObjects, homeScans.logs]) {
    const result = await scan();
    if (!report(log, result, "absent")) violations.push(result);
  }

  log(`${home} tenant: scanning every store of ${away}, and the global ones`);
  const awayScans = regionScans(options, away, since, marker);
  for (const scan of [...Object.values(awayScans), ...Object.values(globalScans(options, marker))]) {
    const result = await scan();
    if (!report(log, result, "absent")) violations.push(result);
  }
  const passed = violations.length === 0 && missingAtHome.length === 0;
  log(
    `${passed ? "PASS" : "FAIL"} ${home} → ${away}: ${violations.length} store(s) outside ${home}'s database hold the marker` +
      (missingAtHome.length ? `; ${missingAtHome.length} ${home} store(s) that should hold it do not` : ""),
  );
  return { home, marker, tenantId: tenant.tenantId, violations, missingAtHome, passed };
}

/** Both directions: a Lagos tenant against the EU's stores, then an EU tenant against Lagos'. */
export async function runResidencyCanary(options: CanaryOptions): Promise<DirectionOutcome[]> {
  const outcomes: DirectionOutcome[] = [];
  for (const home of ["lagos", "eu"] as const) outcomes.push(await runDirection(options, home));
  return outcomes;
}
