import { measureScenarios } from "./measure";
import { progress } from "./progress";
import type { ScenarioReport, TargetCheck } from "./report";
import { PAGE_SIZE, type Scenario } from "./scenarios";

/**
 * Issue #15: the Worker beside a conventional server doing the same job (bench/peer/, Fastify 5 +
 * pg Pool(20) + jose), in one run, windows alternated A B B A (A B B A A B B A with
 * `windows: 4`), so both meet the same machine. Two pairs: the authenticated list, and a contact
 * create (the Worker's with its outbox row and after-commit publish, the peer's a plain insert).
 */
export interface PeerPair {
  worker: ScenarioReport;
  peer: ScenarioReport;
  /** Worker ÷ peer: above 1 the Worker serves more (req/s) or waits longer (latencies). */
  ratio: { requestsPerSecond: number; p50: number; p99: number; p999: number };
}

export interface PeerComparison {
  connections: number;
  list: PeerPair;
  create: PeerPair;
}

/** Issue #15's targets: the list at least the peer's throughput with no worse p99; writes ≥ 0.8×. */
export const PEER_TARGETS = { minListRatio: 1.0, minCreateRatio: 0.8 } as const;

interface Server {
  url: string;
  pid: number;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

function pair(worker: ScenarioReport | undefined, peer: ScenarioReport | undefined): PeerPair {
  if (!worker || !peer) throw new Error("the peer comparison needs both scenarios");
  return {
    worker,
    peer,
    ratio: {
      requestsPerSecond: ratio(worker.requestsPerSecond, peer.requestsPerSecond),
      p50: ratio(worker.latencyMs.p50, peer.latencyMs.p50),
      p99: ratio(worker.latencyMs.p99, peer.latencyMs.p99),
      p999: ratio(worker.latencyMs.p999, peer.latencyMs.p999),
    },
  };
}

export async function measurePeerComparison(options: {
  worker: Server;
  peer: Server;
  gatewayPid: number;
  /** The list's tenant (the bench tenant, 1,003 contacts). */
  listToken: string;
  /** A tenant of its own for creates, so the list's first page stays the same rows. */
  createToken: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  windows: number;
}): Promise<PeerComparison> {
  const listPath = `/api/v1/crm/contacts?limit=${PAGE_SIZE}`;
  const list = (id: "worker-list" | "peer-list", server: Server, who: string): Scenario => ({
    id,
    label: `${who} GET ${listPath}`,
    description: `${who}: the authenticated list, ${PAGE_SIZE} contacts of the token's tenant.`,
    baseUrl: server.url,
    workerdPid: server.pid,
    path: listPath,
    headers: { Authorization: `Bearer ${options.listToken}` },
    expectedStatus: 200,
  });
  // No email, so no create conflicts with another; tags and a name as a client sends them.
  const body = JSON.stringify({
    first_name: "Bench",
    last_name: "Write",
    company: "Peer Co",
    tags: ["bench"],
  });
  const create = (id: "worker-create" | "peer-create", server: Server, who: string): Scenario => ({
    id,
    label: `${who} POST /api/v1/crm/contacts`,
    description: `${who}: a contact create.`,
    baseUrl: server.url,
    workerdPid: server.pid,
    path: "/api/v1/crm/contacts",
    method: "POST",
    body,
    headers: { Authorization: `Bearer ${options.createToken}`, "Content-Type": "application/json" },
    expectedStatus: 201,
  });
  const measure = (scenarios: Scenario[]) =>
    measureScenarios({
      baseUrl: options.worker.url,
      scenarios,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      windows: options.windows,
      pids: { workerd: options.worker.pid, gateway: options.gatewayPid },
    });

  progress(`peer comparison: the list, Worker vs peer, ${options.connections} connections`);
  const [workerList, peerList] = await measure([
    list("worker-list", options.worker, "Worker"),
    list("peer-list", options.peer, "peer"),
  ]);
  progress(`peer comparison: contact creates, Worker vs peer, ${options.connections} connections`);
  const [workerCreate, peerCreate] = await measure([
    create("worker-create", options.worker, "Worker"),
    create("peer-create", options.peer, "peer"),
  ]);
  return {
    connections: options.connections,
    list: pair(workerList, peerList),
    create: pair(workerCreate, peerCreate),
  };
}

export function peerTargets(c: PeerComparison): TargetCheck[] {
  return [
    {
      name: "list vs peer: req/s",
      target: `≥ ${PEER_TARGETS.minListRatio.toFixed(1)}× the peer's`,
      actual: `${c.list.ratio.requestsPerSecond}× (${c.list.worker.requestsPerSecond} vs ${c.list.peer.requestsPerSecond})`,
      pass: c.list.ratio.requestsPerSecond >= PEER_TARGETS.minListRatio,
    },
    {
      name: "list vs peer: p99",
      target: "≤ the peer's",
      actual: `${c.list.worker.latencyMs.p99} vs ${c.list.peer.latencyMs.p99} ms`,
      pass: c.list.worker.latencyMs.p99 <= c.list.peer.latencyMs.p99,
    },
    {
      name: "create vs peer: req/s",
      target: `≥ ${PEER_TARGETS.minCreateRatio}× the peer's`,
      actual: `${c.create.ratio.requestsPerSecond}× (${c.create.worker.requestsPerSecond} vs ${c.create.peer.requestsPerSecond})`,
      pass: c.create.ratio.requestsPerSecond >= PEER_TARGETS.minCreateRatio,
    },
  ];
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => n.toFixed(2);
/** CPU ms per request of one process, from its share of a core over the windows. */
const perRequest = (percent: number | undefined, r: ScenarioReport) =>
  percent === undefined || r.requestsPerSecond === 0
    ? "n/a"
    : ((percent / 100 / r.requestsPerSecond) * 1000).toFixed(3);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
        .join("  "),
    )
    .join("\n");
}

export function renderPeerComparison(c: PeerComparison): string {
  const pairs = [c.list, c.create];
  const figures = [
    ["Worker vs peer", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "windows req/s"],
    ...pairs.flatMap((p) => [
      ...[p.worker, p.peer].map((r) => [
        r.label,
        int(r.requestsPerSecond),
        ms(r.latencyMs.p50),
        ms(r.latencyMs.p90),
        ms(r.latencyMs.p99),
        ms(r.latencyMs.p999),
        ms(r.latencyMs.max),
        r.windowRequestsPerSecond.map(int).join(" / "),
      ]),
      [
        "  Worker ÷ peer",
        `${p.ratio.requestsPerSecond}×`,
        `${p.ratio.p50}×`,
        "",
        `${p.ratio.p99}×`,
        `${p.ratio.p999}×`,
        "",
        "",
      ],
    ]),
  ];
  const cpu = [
    ["CPU ms per request", "server", "gateway", "postgres", "load gen", "other %", "machine %"],
    ...pairs.flatMap((p) =>
      [p.worker, p.peer].map((r) => {
        const s = r.cpuPercent;
        return [
          r.label,
          perRequest(s?.workerd, r),
          perRequest(s?.gateway, r),
          perRequest(s?.postgres, r),
          perRequest(s?.loadGenerator, r),
          s ? s.other.toFixed(0) : "n/a",
          s ? s.machine.toFixed(0) : "n/a",
        ];
      }),
    ),
  ];
  return [
    `Worker (workerd + SQL gateway) vs peer (Fastify 5 + pg Pool(20) + jose), ${c.connections} connections, windows alternated`,
    "",
    table(figures),
    "",
    table(cpu),
    "(server: workerd for the Worker, the peer's Node process for the peer; other %/machine %: % of one core)",
  ].join("\n");
}
