import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Where the CPU went during a measured window, in % of one core (200 = both cores of a 2-core
 * machine). On a machine this small everything shares the same two cores: the load generator,
 * the gateway and Postgres take CPU that workerd then lacks, and anything else running (another
 * test suite) does too. This makes both visible next to the figures. Linux only (/proc).
 */
export interface CpuShare {
  workerd: number;
  gateway: number;
  loadGenerator: number;
  postgres: number;
  /** Everything else on the machine: if large, the run competed with unrelated work. */
  other: number;
  machine: number;
}

interface Snapshot {
  wallMs: number;
  machineTicks: number;
  workerdTicks: number;
  gatewayTicks: number;
  postgresTicks: number;
  selfMicros: number;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of one process, and its command name; null once it has gone. */
function processTicks(pid: string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces; fields after it are fixed.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function machineBusyTicks(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  return fields.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
}

export function cpuSnapshot(pids: { workerd: number; gateway: number }): Snapshot | null {
  try {
    let postgresTicks = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const proc = processTicks(entry);
      if (proc?.comm === "postgres") postgresTicks += proc.ticks;
    }
    const self = process.cpuUsage();
    return {
      wallMs: performance.now(),
      machineTicks: machineBusyTicks(),
      workerdTicks: processTicks(String(pids.workerd))?.ticks ?? 0,
      gatewayTicks: processTicks(String(pids.gateway))?.ticks ?? 0,
      postgresTicks,
      selfMicros: self.user + self.system,
    };
  } catch {
    return null;
  }
}

/** CPU seconds spent during one window, per consumer; windows of one scenario add up. */
export interface CpuDelta {
  wallSeconds: number;
  workerd: number;
  gateway: number;
  postgres: number;
  loadGenerator: number;
  machine: number;
}

export function cpuDelta(before: Snapshot | null, after: Snapshot | null): CpuDelta | null {
  if (!before || !after) return null;
  const hz = clockTicks();
  return {
    wallSeconds: (after.wallMs - before.wallMs) / 1000,
    workerd: (after.workerdTicks - before.workerdTicks) / hz,
    gateway: (after.gatewayTicks - before.gatewayTicks) / hz,
    postgres: (after.postgresTicks - before.postgresTicks) / hz,
    loadGenerator: (after.selfMicros - before.selfMicros) / 1e6,
    machine: (after.machineTicks - before.machineTicks) / hz,
  };
}

export function sumCpu(deltas: readonly (CpuDelta | null)[]): CpuDelta | null {
  if (deltas.length === 0 || deltas.some((d) => d === null)) return null;
  const total: CpuDelta = {
    wallSeconds: 0,
    workerd: 0,
    gateway: 0,
    postgres: 0,
    loadGenerator: 0,
    machine: 0,
  };
  for (const d of deltas as CpuDelta[]) {
    for (const key of Object.keys(total) as (keyof CpuDelta)[]) total[key] += d[key];
  }
  return total;
}

export function cpuShare(delta: CpuDelta | null): CpuShare | null {
  if (!delta || delta.wallSeconds <= 0) return null;
  const pct = (seconds: number) => Math.round((seconds / delta.wallSeconds) * 1000) / 10;
  const ours = delta.workerd + delta.gateway + delta.postgres + delta.loadGenerator;
  return {
    workerd: pct(delta.workerd),
    gateway: pct(delta.gateway),
    postgres: pct(delta.postgres),
    loadGenerator: pct(delta.loadGenerator),
    other: Math.max(0, pct(delta.machine - ours)),
    machine: pct(delta.machine),
  };
}
