import type { StoredSpan } from "./otlp-spans";
import type { TraceSummary } from "./trace-store";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{padding:.3rem .5rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.bar{height:14px;background:#4a7fd0;border-radius:2px;min-width:2px}.err .bar{background:#c43}
.lane{position:relative;width:100%;height:14px}.lane .bar{position:absolute;top:0}
code{font-size:12px;color:#555}.err td:first-child{color:#c43}form{margin:1rem 0}`;

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** `GET /`: the newest traces, and a box to open one by id (a response's Nexus-Trace-Id). */
export function tracesPage(traces: readonly TraceSummary[]): string {
  const rows = traces
    .map(
      (t) =>
        `<tr class="${t.errors > 0 ? "err" : ""}"><td><a href="/traces/${t.traceId}">${escapeHtml(t.root)}</a></td>` +
        `<td>${escapeHtml(t.services.join(", "))}</td><td>${t.spans}</td><td>${t.durationMs.toFixed(1)} ms</td>` +
        `<td>${escapeHtml(t.startedAt)}</td><td><code>${t.traceId}</code></td></tr>`,
    )
    .join("");
  return page(
    "Traces",
    `<h1>Traces</h1><form action="/traces" method="get"><input name="id" size="40" placeholder="trace id (Nexus-Trace-Id)"> <button>Open</button></form>
<table><tr><th>root span</th><th>services</th><th>spans</th><th>duration</th><th>started</th><th>trace id</th></tr>${rows}</table>`,
  );
}

/** `GET /traces/{id}`: one trace as a waterfall, children under their parents. */
export function tracePage(traceId: string, spans: readonly StoredSpan[]): string {
  if (spans.length === 0)
    return page("Trace", `<h1>Trace ${escapeHtml(traceId)}</h1><p>No spans (yet) for this trace.</p>`);
  const start = spans.reduce((min, s) => (s.startNs < min ? s.startNs : min), spans[0]?.startNs ?? 0n);
  const end = spans.reduce((max, s) => (s.endNs > max ? s.endNs : max), 0n);
  const total = Number(end - start) || 1;
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, StoredSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const rows: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      const left = (Number(s.startNs - start) / total) * 100;
      const width = (Number(s.endNs - s.startNs) / total) * 100;
      const attributes = Object.entries(s.attributes)
        .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`)
        .join(" ");
      rows.push(
        `<tr class="${s.status === 2 ? "err" : ""}"><td style="padding-left:${depth * 1.2 + 0.5}rem">${escapeHtml(s.name)}</td>` +
          `<td>${escapeHtml(s.service)}</td><td>${(Number(s.endNs - s.startNs) / 1e6).toFixed(2)} ms</td>` +
          `<td style="width:40%"><div class="lane"><div class="bar" style="left:${left}%;width:${width}%"></div></div><code>${attributes}</code></td></tr>`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return page(
    `Trace ${traceId}`,
    `<p><a href="/">← traces</a></p><h1>Trace <code>${escapeHtml(traceId)}</code></h1>
<p>${spans.length} spans, ${(total / 1e6).toFixed(1)} ms · <a href="/api/traces/${traceId}">JSON</a></p>
<table><tr><th>span</th><th>service</th><th>duration</th><th>timeline · attributes</th></tr>${rows.join("")}</table>`,
  );
}
