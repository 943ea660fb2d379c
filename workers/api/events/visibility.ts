import { grantedPermissions, type Permission } from "../auth/permissions";
import type { Actor } from "../services/context";

/**
 * Event types whose data a permission guards beyond `events.read`. An event carries the changed
 * resource, so the event log (and, later, the realtime feed) must not show a caller what that
 * resource's own routes would refuse it: a Member may follow CRM changes, but webhook endpoint
 * events name where the tenant's data is sent, which only `webhooks.read` may see (so do test events, about one endpoint).
 */
const GUARDED_EVENT_TYPES: readonly { prefix: string; permission: Permission }[] = [
  { prefix: "webhook_endpoint.", permission: "webhooks.read" },
  { prefix: "webhook.", permission: "webhooks.read" },
  { prefix: "payment.", permission: "finance.payments.read" },
  // Which provider accounts take the tenant's money: what the connections routes show only to their readers.
  { prefix: "payment_connection.", permission: "finance.connections.read" },
  { prefix: "tenant.settings_", permission: "tenant.settings.read" },
  // A resource event carries the document's whole text: only who may read resources sees it.
  { prefix: "resource.", permission: "resources.read" },

  // Invoices name customers and amounts: only who may read invoices sees their events.
  { prefix: "invoice.", permission: "finance.invoices.read" },
];

/** The event type prefixes this actor may not see (role and scope both checked). */
export function hiddenEventPrefixes(actor: Actor): string[] {
  return hiddenWithout(grantedPermissions(actor));
}

/** The same, for a principal known by what it was granted (a realtime socket's grant). */
export function hiddenWithout(granted: readonly string[]): string[] {
  return GUARDED_EVENT_TYPES.filter((g) => !granted.includes(g.permission)).map((g) => g.prefix);
}
