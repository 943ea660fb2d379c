import { type CpuDelta, cpuDelta, cpuShare, cpuSnapshot, sumCpu } from "./cpu";
import { type LoadRun, runLoad, summarize } from "./load";
import { progress } from "./progress";
import { type ScenarioReport, scenarioReport } from "./report";
import { type Scenario, verifyScenario } from "./scenarios";

export interface MeasureOptions {
  baseUrl: string;
  scenarios: readonly Scenario[];
  connections: number;
  /** Measured seconds per scenario, split over its two windows. */
  durationSeconds: number;
  warmupSeconds: number;
  pids: { workerd: number; gateway: number };
  /** Measured windows per scenario (A B B A is 2; 4 gives A B B A A B B A). Default 2. */
  windows?: number;
}

function unexpectedIn(run: LoadRun, scenario: Scenario): number {
  const responses = run.samples.length;
  return responses - (run.statusCounts[String(scenario.expectedStatus)] ?? 0) + run.errors;
}

/** Figures that include failed requests describe an error path, not the route: refuse them. */
function assertClean(run: LoadRun, scenario: Scenario, phase: string): void {
  const unexpected = unexpectedIn(run, scenario);
  if (unexpected > 0) {
    throw new Error(
      `${scenario.label}: ${unexpected} of ${run.samples.length + run.errors} requests in the ${phase} did not get ${scenario.expectedStatus} ` +
        `(status counts ${JSON.stringify(run.statusCounts)}, connection errors ${run.errors}, timeouts ${run.timeouts})`,
    );
  }
}

/**
 * Checks, warms up, then measures every scenario in windows ordered A B … B A (repeated for more windows).
 * On this shared VM the host's speed drifts by tens of percent over a minute with no sign inside
 * the guest (see README); measured back to back, (a) and (b) could see different machines and
 * their ratio would mostly measure that. The mirrored order gives every scenario the same mean
 * position in time, so a steady drift cancels out of the ratio.
 */
export async function measureScenarios(options: MeasureOptions): Promise<ScenarioReport[]> {
  const request = (scenario: Scenario, durationSeconds: number) =>
    runLoad({
      url: (scenario.baseUrl ?? options.baseUrl) + scenario.path,
      headers: scenario.headers,
      ...(scenario.method === undefined ? {} : { method: scenario.method }),
      ...(scenario.body === undefined ? {} : { body: scenario.body }),
      connections: options.connections,
      durationSeconds,
    });

  for (const scenario of options.scenarios) {
    progress(`${scenario.label}: check → ${await verifyScenario(options.baseUrl, scenario)}`);
  }
  for (const scenario of options.scenarios) {
    const warm = await request(scenario, options.warmupSeconds);
    assertClean(warm, scenario, "warm-up");
    progress(
      `${scenario.label}: warm-up ${options.warmupSeconds} s, ${Math.round(warm.samples.length / warm.durationSeconds)} req/s`,
    );
  }

  const windows = Math.max(2, 2 * Math.round((options.windows ?? 2) / 2));
  const windowSeconds = options.durationSeconds / windows;
  const pass = [...options.scenarios, ...[...options.scenarios].reverse()];
  const order = Array.from({ length: windows / 2 }, () => pass).flat();
  const runs = new Map<Scenario["id"], LoadRun[]>();
  const cpu = new Map<Scenario["id"], (CpuDelta | null)[]>();
  for (const [index, scenario] of order.entries()) {
    const pids = { ...options.pids, workerd: scenario.workerdPid ?? options.pids.workerd };
    const before = cpuSnapshot(pids);
    const run = await request(scenario, windowSeconds);
    const delta = cpuDelta(before, cpuSnapshot(pids));
    assertClean(run, scenario, "measurement");
    runs.set(scenario.id, [...(runs.get(scenario.id) ?? []), run]);
    cpu.set(scenario.id, [...(cpu.get(scenario.id) ?? []), delta]);
    progress(
      `window ${index + 1}/${order.length} ${scenario.label}: ${Math.round(run.samples.length / run.durationSeconds)} req/s over ${run.durationSeconds} s`,
    );
  }

  return options.scenarios.map((scenario) => {
    const windows = runs.get(scenario.id) ?? [];
    return scenarioReport(scenario, summarize(windows), {
      cpu: cpuShare(sumCpu(cpu.get(scenario.id) ?? [])),
      windowRequestsPerSecond: windows.map((w) => Math.round(w.samples.length / w.durationSeconds)),
    });
  });
}
