import { type LoadResult, runLoad, summarize } from "./load";
import { progress } from "./progress";

/**
 * Closed-loop contact creates (`POST /api/v1/crm/contacts`, no email so none conflicts): the
 * write path as a client meets it, custom-field validation against the tenant's settings
 * included. A warm-up window, then two measured half windows merged.
 */
export async function measureContactWrites(options: {
  baseUrl: string;
  token: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}): Promise<LoadResult> {
  const load = (durationSeconds: number) =>
    runLoad({
      url: `${options.baseUrl}/api/v1/crm/contacts`,
      method: "POST",
      body: JSON.stringify({ first_name: "Bench", last_name: "Write", tags: ["bench"] }),
      headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
      connections: options.connections,
      durationSeconds,
    });
  await load(options.warmupSeconds);
  const runs = [await load(options.durationSeconds / 2), await load(options.durationSeconds / 2)];
  const result = summarize(runs);
  const unexpected = Object.keys(result.statusCounts).filter((s) => s !== "201");
  if (unexpected.length > 0 || result.errors > 0) {
    throw new Error(
      `contact writes: statuses ${JSON.stringify(result.statusCounts)}, ${result.errors} errors`,
    );
  }
  progress(`contact writes: ${result.responses} creates measured`);
  return result;
}

export function renderContactWrites(r: LoadResult, connections: number): string {
  return (
    `contact writes (POST /api/v1/crm/contacts, ${connections} connections, ${r.durationSeconds} s): ` +
    `${r.requestsPerSecond} req/s, p50 ${r.latencyMs.p50} ms, p90 ${r.latencyMs.p90} ms, p99 ${r.latencyMs.p99} ms`
  );
}
