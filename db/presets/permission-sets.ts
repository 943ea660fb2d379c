import type { Permission } from "../../workers/api/auth/permission-catalogue";

/** What a preset role that sells works with: contacts, leads and opportunities, read and write. */
export const SELLS: Permission[] = [
  "crm.contacts.read",
  "crm.contacts.write",
  "crm.leads.read",
  "crm.leads.write",
  "crm.opportunities.read",
  "crm.opportunities.write",
];
