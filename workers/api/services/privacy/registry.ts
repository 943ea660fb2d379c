import { aiStore, chatStore } from "./stores/conversations";
import { contactsStore, leadsStore, opportunitiesStore } from "./stores/crm";
import { durableObjectsStore, upstashStore } from "./stores/edge";
import { jetstreamStore, outboxStore, webhooksStore } from "./stores/events";
import { invoicesStore, providerEventsStore } from "./stores/finance";
import { accountStore, auditStore, idempotencyStore, tokensStore } from "./stores/identity";
import { mailStore } from "./stores/mail";
import { resourcesStore, searchStore } from "./stores/search";
import { subjectKeysStore } from "./stores/subject-keys";
import { tenantConfigStore, tenantStore } from "./stores/tenant";
import type { PersonalDataStore, SubjectType } from "./types";

/**
 * Every store that can hold personal data, in erasure order: the edge first (it reads ids that
 * later steps delete), then what refers to the subject, then the subject's own rows, the tenant
 * row last, so a resumed run still finds the subject's identifiers. A new store (a table with
 * personal columns, another cache, the subject's data key once crypto-shredding lands) is one
 * entry here; test/worker/privacy-columns.test.ts fails while a personal column has none.
 */
export const STORES: readonly PersonalDataStore[] = [
  durableObjectsStore,
  upstashStore,
  jetstreamStore,
  tokensStore,
  aiStore,
  chatStore,
  searchStore,
  resourcesStore,
  webhooksStore,
  outboxStore,
  idempotencyStore,
  providerEventsStore,
  invoicesStore,
  auditStore,
  opportunitiesStore,
  leadsStore,
  contactsStore,
  subjectKeysStore,
  accountStore,
  mailStore,
  tenantConfigStore,
  tenantStore,
];

/** The stores a request for `type` visits (exports skip stores without an `export`). */
export function storesFor(type: SubjectType, kind: "export" | "erasure"): PersonalDataStore[] {
  return STORES.filter(
    (s) => (type === "tenant" || s.subjects.includes(type)) && (kind === "erasure" || s.export !== undefined),
  );
}

export function storeNamed(name: string): PersonalDataStore | undefined {
  return STORES.find((s) => s.name === name);
}
