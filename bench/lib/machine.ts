import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

const require = createRequire(import.meta.url);

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  workerd: string;
  workerdPackage: string;
  wrangler: string;
  autocannon: string;
  postgres: string;
  /** 1-minute load average when the run started: other work on the machine skews the figures. */
  loadAverageAtStart: number;
  /** Share of all cores busy during one second sampled before the run (null where /proc is missing). */
  cpuBusyPercentAtStart: number | null;
}

function cpuTimes(): { busy: number; total: number } | null {
  try {
    // First line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
    const fields = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * How busy the machine is before we start. The load average lags by a minute (it still counts a
 * previous run), so sample the CPU counters directly: on 2 cores, someone else's test suite
 * halves the figures.
 */
export async function sampleCpuBusyPercent(ms = 1_000): Promise<number | null> {
  const before = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  if (!before || !after || after.total === before.total) return null;
  return Math.round(((after.busy - before.busy) / (after.total - before.total)) * 1000) / 10;
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

export function machineInfo(runtime: {
  workerd: string;
  workerdPackage: string;
  postgres: string;
  loadAverageAtStart: number;
  cpuBusyPercentAtStart: number | null;
}): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd: runtime.workerd,
    workerdPackage: runtime.workerdPackage,
    wrangler: packageVersion("wrangler"),
    autocannon: packageVersion("autocannon"),
    postgres: runtime.postgres,
    loadAverageAtStart: Math.round(runtime.loadAverageAtStart * 100) / 100,
    cpuBusyPercentAtStart: runtime.cpuBusyPercentAtStart,
  };
}
