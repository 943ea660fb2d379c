import { basename } from "node:path";
import WebSocket from "ws";

/** A V8 CPU profile as the DevTools protocol and `node --cpu-prof` write it. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** `function (file:line)`, or V8's own `(garbage collector)`, `(program)`, `(idle)`. */
  name: string;
  selfMs: number;
  /** Share of the non-idle time sampled. */
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  idleMs: number;
  /** Self time per place, most first; by function, then by file (the bundle's modules are one file). */
  top: ProfileEntry[];
}

/**
 * Self time per function: each sample is charged to the node it hit, for the time until the
 * next sample. Idle time is counted apart, so percentages are of the time the thread worked.
 */
export function summarizeProfile(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [i, id] of profile.samples.entries()) {
    // timeDeltas[i] is the time before sample i; charge the following interval to sample i.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    busy += micros;
    const where = frame.url ? ` (${basename(frame.url)}:${frame.lineNumber + 1})` : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    self.set(name, (self.get(name) ?? 0) + micros);
  }
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, micros]) => ({
      name,
      selfMs: Math.round(micros / 100) / 10,
      percent: busy > 0 ? Math.round((micros / busy) * 1000) / 10 : 0,
    }));
  return { busyMs: Math.round(busy / 1000), idleMs: Math.round(idle / 1000), top };
}

/**
 * A CPU profile while `during` runs, through a DevTools inspector: workerd's isolate
 * (`workerd serve --inspector-addr`) or a Node process (`--inspect`, the same protocol `--cpu-prof`
 * uses, but bounded to the measured window instead of the whole process life). The first target
 * listed, Profiler.start, then Profiler.stop. Sampling every 200 µs keeps the profiler's cost small.
 */
export async function profileThroughInspector<T>(
  inspector: string,
  during: () => Promise<T>,
): Promise<{ result: T; profile: CpuProfile }> {
  const targets = (await (await fetch(`http://${inspector}/json/list`)).json()) as {
    webSocketDebuggerUrl?: string;
    title?: string;
  }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target at ${inspector}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (message.id !== undefined) pending.get(message.id)?.(message);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (message) => {
        pending.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 200 });
    await send("Profiler.start");
    const result = await during();
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    return { result, profile };
  } finally {
    socket.close();
  }
}

export function renderProfile(title: string, summary: ProfileSummary, requests: number): string {
  const perRequest = requests > 0 ? (summary.busyMs / requests).toFixed(3) : "n/a";
  const width = Math.max(...summary.top.map((e) => e.name.length), 10);
  return [
    `${title}: ${summary.busyMs} ms busy (${perRequest} ms per request over ${requests}), ${summary.idleMs} ms idle; self time:`,
    ...summary.top.map(
      (e) =>
        `  ${e.name.padEnd(width)}  ${e.selfMs.toFixed(1).padStart(8)} ms  ${e.percent.toFixed(1).padStart(5)} %`,
    ),
  ].join("\n");
}
