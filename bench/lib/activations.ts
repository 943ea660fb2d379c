import { percentile } from "./percentile";
import { progress } from "./progress";

export interface ActivationTimings {
  count: number;
  preset: string;
  /** POST sent → status `completed` seen by the client (what a new user waits). */
  totalMs: { p50: number; p95: number; max: number };
  /** The 202 alone. */
  acceptMs: { p50: number; p95: number };
  /** The run's own start → finish, as its status reports it. */
  runMs: { p50: number; p95: number };
  /** Each step's successful attempt, p50. */
  stepP50Ms: Record<string, number>;
}

interface Status {
  state: string;
  duration_ms: number | null;
  steps: { name: string; duration_ms: number | null }[];
}

const POLL_MS = 10;
const RUN_TIMEOUT_MS = 60_000;

/** Nearest rank over sorted samples, rounded to 0.1 ms. */
const rank = (sorted: readonly number[], p: number) => Math.round(percentile(sorted, p) * 10) / 10;

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: rank(sorted, 50), p95: rank(sorted, 95), max: rank(sorted, 100) };
};

async function activateOnce(baseUrl: string, n: number, preset: string) {
  const tag = `${Date.now().toString(36)}-${n}`;
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/activate`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      // One address per sign-up: the per-address sign-up limit is not what is measured.
      "CF-Connecting-IP": `10.${(n >> 8) & 255}.${n & 255}.7`,
    },
    body: JSON.stringify({
      business_name: `Bench Shop ${tag}`,
      country: "DE",
      preset,
      owner: {
        name: `Owner ${tag}`,
        email: `owner-${tag}@bench-activation.example`,
        password: "bench-password-123",
      },
    }),
  });
  const body = (await res.json()) as { data?: { status_url: string } };
  if (res.status !== 202 || !body.data)
    throw new Error(`activation ${n}: ${res.status} ${JSON.stringify(body)}`);
  const accepted = performance.now();
  for (;;) {
    const polled = await fetch(body.data.status_url);
    const status = ((await polled.json()) as { data: Status }).data;
    if (status.state === "completed") {
      return { totalMs: performance.now() - started, acceptMs: accepted - started, status };
    }
    if (status.state !== "running")
      throw new Error(`activation ${n} ${status.state}: ${JSON.stringify(status)}`);
    if (performance.now() - started > RUN_TIMEOUT_MS) throw new Error(`activation ${n} still running`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * `count` activations one after another (after `warmup` unmeasured ones), each from POST to a
 * completed status polled every 10 ms, as the sign-up page would.
 */
export async function measureActivations(options: {
  baseUrl: string;
  count: number;
  warmup: number;
  preset?: string;
}): Promise<ActivationTimings> {
  const preset = options.preset ?? "retail";
  progress(`activation: ${options.warmup} warm-up and ${options.count} measured sign-ups (preset ${preset})`);
  const runs = [];
  for (let n = 0; n < options.warmup + options.count; n++) {
    const run = await activateOnce(options.baseUrl, n, preset);
    if (n >= options.warmup) runs.push(run);
  }
  const steps = new Map<string, number[]>();
  for (const run of runs) {
    for (const step of run.status.steps) {
      steps.set(step.name, [...(steps.get(step.name) ?? []), step.duration_ms ?? Number.NaN]);
    }
  }
  const total = summary(runs.map((r) => r.totalMs));
  const accept = summary(runs.map((r) => r.acceptMs));
  const run = summary(runs.map((r) => r.status.duration_ms ?? Number.NaN));
  return {
    count: runs.length,
    preset,
    totalMs: total,
    acceptMs: { p50: accept.p50, p95: accept.p95 },
    runMs: { p50: run.p50, p95: run.p95 },
    stepP50Ms: Object.fromEntries([...steps].map(([name, ms]) => [name, summary(ms).p50])),
  };
}
