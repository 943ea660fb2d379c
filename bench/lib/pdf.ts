import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument } from "@cantoo/pdf-lib";
import { buildWorker } from "./build";
import type { Cleanup } from "./cleanup";
import { cpuDelta, cpuSnapshot } from "./cpu";
import { percentile } from "./percentile";
import { progress } from "./progress";
import type { TargetCheck } from "./report";
import { freePort, resolveWorkerd, startWorkerd, waitForHealth } from "./workerd";
import { renderWorkerdConfig } from "./workerd-config";

// `npm run bench -- --only pdf`: the invoice renderer on workerd. Wall time is taken at the
// client per request (workerd's clock does not advance during a request, so the Worker cannot
// time itself); CPU is workerd's own utime+stime over the measured requests, divided by their count.

const HOST = "127.0.0.1";
// As wrangler.toml: the bench Worker runs under the API Worker's flags.
const COMPATIBILITY_DATE = "2026-11-01";
const COMPATIBILITY_FLAGS = ["nodejs_compat"];
export const PDF_TARGET_ONE_PAGE_P50_MS = 50;

export interface PdfCase {
  name: string;
  lines: number;
  pages: number;
  bytes: number;
  /** The isolate's first render: fonts decoded, parsed and compressed, JIT cold. */
  firstMs: number;
  wallMs: { p50: number; p95: number; max: number };
  cpuMsPerRender: number | null;
  count: number;
}

export async function measurePdf(options: {
  root: string;
  cleanup: Cleanup;
  keep: boolean;
  count: number;
}): Promise<PdfCase[]> {
  const work = mkdtempSync(join(tmpdir(), "nexus-bench-pdf-"));
  if (!options.keep)
    options.cleanup.add(`folder ${work}`, () => rmSync(work, { recursive: true, force: true }));
  const config = join(work, "wrangler.toml");
  writeFileSync(
    config,
    [
      `name = "nexus-pdf-bench"`,
      `main = ${JSON.stringify(join(options.root, "bench/lib/pdf-worker/index.ts"))}`,
      `compatibility_date = "${COMPATIBILITY_DATE}"`,
      `compatibility_flags = ${JSON.stringify(COMPATIBILITY_FLAGS)}`,
      "",
    ].join("\n"),
  );
  const bundleDir = join(work, "bundle");
  const bundle = await buildWorker({ root: options.root, outdir: bundleDir, config });
  progress(
    `pdf bundle: ${(bundle.bytes / 1024).toFixed(0)} KiB (${bundle.modules.map((m) => m.name).join(", ")})`,
  );

  const workerd = resolveWorkerd();
  const port = await freePort(HOST);
  const storage = join(work, "do");
  mkdirSync(storage);
  const configFile = join(bundleDir, "workerd-pdf.capnp");
  writeFileSync(
    configFile,
    renderWorkerdConfig({
      listen: { host: HOST, port },
      modules: bundle.modules,
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      textBindings: {},
      durableObjects: [],
      durableObjectStoragePath: storage,
      uniqueKeyPrefix: "nexus-pdf-bench",
    }),
  );
  const logFile = join(work, "workerd-pdf.log");
  const started = startWorkerd({ binary: workerd.path, configFile, cwd: bundleDir, logFile });
  options.cleanup.add(`workerd pdf (pid ${started.running.pid})`, started.running.stop);
  const url = `http://${HOST}:${port}`;
  await waitForHealth({ url, child: started.child, logFile, timeoutMs: 30_000 });
  progress(`workerd ${workerd.version}: pdf Worker up`);

  const cases: PdfCase[] = [];
  for (const [name, lines] of [
    ["1-page invoice (3 lines)", 3],
    ["5-page invoice (100 wrapped lines)", 100],
  ] as const) {
    cases.push(await measureCase({ url, pid: started.running.pid, name, lines, count: options.count }));
  }
  return cases;
}

async function render(url: string, lines: number): Promise<{ ms: number; pdf: Uint8Array }> {
  const start = performance.now();
  const response = await fetch(`${url}/render/${lines}`);
  const pdf = new Uint8Array(await response.arrayBuffer());
  const ms = performance.now() - start;
  if (response.status !== 200)
    throw new Error(`render ${lines}: HTTP ${response.status} ${new TextDecoder().decode(pdf)}`);
  return { ms, pdf };
}

async function measureCase(input: {
  url: string;
  pid: number;
  name: string;
  lines: number;
  count: number;
}): Promise<PdfCase> {
  const first = await render(input.url, input.lines);
  const pages = (await PDFDocument.load(first.pdf)).getPageCount();
  for (let i = 0; i < 5; i++) await render(input.url, input.lines);
  progress(`pdf: ${input.name}, ${pages} pages: ${input.count} renders one after another`);
  const before = cpuSnapshot({ workerd: input.pid, gateway: input.pid });
  const times: number[] = [];
  for (let i = 0; i < input.count; i++) times.push((await render(input.url, input.lines)).ms);
  const delta = cpuDelta(before, cpuSnapshot({ workerd: input.pid, gateway: input.pid }));
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    name: input.name,
    lines: input.lines,
    pages,
    bytes: first.pdf.length,
    firstMs: round(first.ms),
    wallMs: {
      p50: round(percentile(times, 50)),
      p95: round(percentile(times, 95)),
      max: round(times.at(-1) ?? 0),
    },
    cpuMsPerRender: delta ? round((delta.workerd * 1000) / input.count) : null,
    count: input.count,
  };
}

export function renderPdf(cases: readonly PdfCase[]): string {
  return cases
    .map(
      (c) =>
        `${c.name}: ${c.pages} pages, ${(c.bytes / 1024).toFixed(0)} KiB; ${c.count} renders: wall p50 ${c.wallMs.p50} ms, ` +
        `p95 ${c.wallMs.p95} ms, max ${c.wallMs.max} ms; workerd CPU ${c.cpuMsPerRender ?? "?"} ms/render; ` +
        `first render in the isolate ${c.firstMs} ms`,
    )
    .join("\n");
}

export function pdfTarget(cases: readonly PdfCase[]): TargetCheck {
  const one = cases[0];
  if (!one) throw new Error("no 1-page figures");
  return {
    name: "1-page invoice PDF on workerd, p50 wall",
    target: `< ${PDF_TARGET_ONE_PAGE_P50_MS} ms`,
    actual: `${one.wallMs.p50} ms`,
    pass: one.wallMs.p50 < PDF_TARGET_ONE_PAGE_P50_MS,
  };
}
