/**
 * Where an event goes on the region's JetStream: `evt.<region>.<tenant>.<service>.<event_type>`,
 * e.g. `evt.lagos.4f…c2.crm.contact.created`. A tenant's NATS user may read `evt.<region>.<its
 * id>.>` and nothing else (tenant-access.ts), so the tenant must be a token of its own.
 */
export const SUBJECT_ROOT = "evt";

/** A subject token: no dots, wildcards or whitespace (NATS subjects), lower case. */
function token(value: string): string {
  const cleaned = value.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
  return cleaned === "" ? "_" : cleaned;
}

/** `crm-service` → `crm`: the platform event's `source` names the emitting service. */
export function serviceToken(source: unknown): string {
  return typeof source === "string" ? token(source.replace(/-service$/, "")) : "unknown";
}

/** `contact.created` keeps its dot: the type spans tokens, so `…crm.contact.>` selects a resource. */
export function eventTypeTokens(eventType: string): string {
  return eventType.split(".").map(token).join(".");
}

export function eventSubject(region: string, tenantId: string, source: unknown, eventType: string): string {
  return `${SUBJECT_ROOT}.${token(region)}.${token(tenantId)}.${serviceToken(source)}.${eventTypeTokens(eventType)}`;
}

/** Every subject of one region's events (the stream's subjects). */
export const regionSubjects = (region: string) => `${SUBJECT_ROOT}.${token(region)}.>`;

/** Every subject of one tenant's events in its region (what its NATS user may read). */
export const tenantSubjects = (region: string, tenantId: string) =>
  `${SUBJECT_ROOT}.${token(region)}.${token(tenantId)}.>`;
