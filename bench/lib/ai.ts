import { standInDeployments } from "../../regions/model-standin/deployments";
import { percentile } from "./percentile";

// bench --only ai: chat streams through the whole stack (workerd, the SQL gateway, Postgres)
// against the model stand-in. Time to first token is compared with the stand-in's own, so the
// figure is our overhead: auth, budget and session checks, the `start` event, persisting the
// first chunk.

export const aiWorkerVars = (standInUrl: string): Record<string, string> => ({
  MODEL_DEPLOYMENTS: JSON.stringify(standInDeployments(standInUrl)),
  AI_DAILY_TOKEN_BUDGETS: JSON.stringify({ starter: 1e12, professional: 1e12, enterprise: 1e12 }),
  AI_MAX_CONCURRENT_STREAMS: "100",
});

const TURNS = 50;
const WORDS = 1000;
const CONCURRENT = 100;

/** Milliseconds to the first content delta of a response body, then to its end; events read. */
async function timeStream(
  start: number,
  res: Response,
  marker: string,
): Promise<{ first: number; end: number; events: number }> {
  if (!res.body) throw new Error(`no body (${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let first = Number.NaN;
  let events = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (Number.isNaN(first) && value.includes(marker)) first = performance.now() - start;
    events += value.split("\n\n").length - 1;
  }
  return { first, end: performance.now() - start, events };
}

export async function measureAi(options: { baseUrl: string; token: string; standInUrl: string }) {
  const chat = (message: string) =>
    fetch(`${options.baseUrl}/api/v1/agents/chat`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${options.token}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({ agent_id: "sys_sales_assistant", message }),
    });
  const direct = () =>
    fetch(`${options.standInUrl}/eu-data-zone/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "standin-eu",
        stream: true,
        messages: [{ role: "user", content: "hello" }],
      }),
    });

  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < TURNS + 5; i++) {
    let t = performance.now();
    const a = await timeStream(t, await chat("hello"), "text-delta");
    t = performance.now();
    const b = await timeStream(t, await direct(), '"content":"Echo');
    if (i >= 5) {
      ours.push(a.first);
      theirs.push(b.first);
    }
  }
  ours.sort((x, y) => x - y);
  theirs.sort((x, y) => x - y);
  const overhead = ours.map((v, i) => v - (theirs[i] ?? 0));

  const t = performance.now();
  const long = await timeStream(t, await chat(`[[words ${WORDS}]]`), "text-delta");
  const chunksPerSecond = (long.events / long.end) * 1000;

  const c = performance.now();
  const streams = await Promise.all(
    Array.from({ length: CONCURRENT }, async () => timeStream(c, await chat("[[words 50]]"), "text-delta")),
  );
  const firsts = streams.map((s) => s.first).sort((x, y) => x - y);
  const ends = streams.map((s) => s.end).sort((x, y) => x - y);
  return {
    ttft: { p50: percentile(ours, 50), p95: percentile(ours, 95) },
    standInTtft: { p50: percentile(theirs, 50), p95: percentile(theirs, 95) },
    overheadP50: percentile(ours, 50) - percentile(theirs, 50),
    overheadSamples: overhead.length,
    oneClient: { events: long.events, ms: long.end, chunksPerSecond, msPerChunk: long.end / long.events },
    concurrent: {
      streams: CONCURRENT,
      firstP50: percentile(firsts, 50),
      firstP95: percentile(firsts, 95),
      allDoneMs: ends.at(-1) ?? Number.NaN,
      failed: streams.filter((s) => Number.isNaN(s.first)).length,
    },
  };
}

export function renderAi(r: Awaited<ReturnType<typeof measureAi>>): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return [
    "AI chat (SSE through workerd + SQL gateway + Postgres, model stand-in):",
    `  time to first token  p50 ${ms(r.ttft.p50)}  p95 ${ms(r.ttft.p95)}   (stand-in alone p50 ${ms(r.standInTtft.p50)})`,
    `  our overhead         p50 ${ms(r.overheadP50)}   (target < 30 ms)`,
    `  one client           ${r.oneClient.events} events in ${ms(r.oneClient.ms)} = ${r.oneClient.chunksPerSecond.toFixed(0)} chunks/s (${ms(r.oneClient.msPerChunk)} per chunk, each persisted before it is sent)`,
    `  ${r.concurrent.streams} concurrent streams (one tenant)  first token p50 ${ms(r.concurrent.firstP50)}  p95 ${ms(r.concurrent.firstP95)}  all done ${ms(r.concurrent.allDoneMs)}  failed ${r.concurrent.failed}`,
  ].join("\n");
}
