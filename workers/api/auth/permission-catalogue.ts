import { SYSTEM_ROLES } from "../../../db/schema/memberships";

// Plain data, free of Hono and Worker types, so seed data (db/presets) checked in Node can use it.

/** Every permission a route can declare. Custom roles are built from these. */
export const PERMISSIONS = [
  "ai.agents.read",
  "ai.agents.write",
  "ai.runs.read",
  "ai.runs.write",
  "ai.sessions.read_all",
  "ai.usage.read",
  "crm.contacts.read",
  "crm.contacts.write",
  "crm.leads.read",
  "crm.leads.write",
  "crm.opportunities.read",
  "crm.opportunities.write",
  "events.read",
  "finance.connections.read",
  "finance.connections.write",
  "finance.invoices.read",
  "finance.invoices.write",
  "finance.invoices.void",
  "finance.payments.read",
  "finance.payments.write",
  "finance.payments.refund",
  "iam.audit.read",
  "iam.members.read",
  "iam.members.write",
  "iam.roles.read",
  "iam.roles.write",
  "iam.api_keys.read",
  "iam.api_keys.write",
  "iam.oauth_clients.read",
  "iam.oauth_clients.write",
  "iam.sso.read",
  "iam.sso.write",
  "privacy.requests.read",
  "privacy.requests.write",
  "realtime.read",
  "realtime.write",
  "resources.read",
  "resources.write",
  "tenant.settings.read",
  "tenant.settings.write",
  "tenant.usage.read",
  "webhooks.read",
  "webhooks.write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** A role name a custom role may not take: a system name in any letter case. */
export function isReservedRoleName(name: string): boolean {
  return SYSTEM_ROLES.some((r) => r.toLowerCase() === name.trim().toLowerCase());
}
