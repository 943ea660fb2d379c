import type { Attributes } from "@opentelemetry/api";

/**
 * The only span attributes that leave the process. Spans are exported outside a tenant's home
 * region's database (a collector, Cloudflare's network for the EU Worker that forwards a Lagos
 * request), so an attribute is exported only when its key is named here: names of routes,
 * statements and operations, ids, counts and outcomes — never a URL, a query, a body, a header
 * value or a statement's parameters. A new attribute is dropped until it is added (and reviewed).
 */
export const EXPORTED_SPAN_ATTRIBUTES: ReadonlySet<string> = new Set([
  "http.request.method",
  "http.route",
  "http.response.status_code",
  "error.type",
  "nexus.region",
  "nexus.home_region",
  "nexus.request_id",
  "nexus.tenant_id",
  "nexus.forwarded_from",
  "db.system.name",
  "db.operation.name",
  "db.query.summary",
  "db.operation.batch.size",
  "nexus.db.path",
  "nexus.do.class",
  "nexus.do.method",
  "nexus.provider",
  "nexus.provider.operation",
  "nexus.webhook.endpoint_id",
  "nexus.webhook.attempt",
  "nexus.event.type",
  "nexus.events.count",
  "nexus.sql.commented",
  "messaging.system",
  "messaging.operation.name",
  "messaging.batch.message_count",
]);

/** The exported subset of `attributes` (see EXPORTED_SPAN_ATTRIBUTES). */
export function exportedAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (EXPORTED_SPAN_ATTRIBUTES.has(key)) kept[key] = value;
  }
  return kept;
}
