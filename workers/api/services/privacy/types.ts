import type { Database } from "../../../../db/client";
import type { RegionId } from "../../../../regions/registry";
import type { Config } from "../../env";

export const SUBJECT_TYPES = ["contact", "lead", "user", "tenant"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];
export const REQUEST_KINDS = ["export", "erasure"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface Subject {
  type: SubjectType;
  id: string;
}

/**
 * What the stores look for, read once per run from the subject's own rows (which are erased
 * last, so a resumed run finds them again): ids that point at the subject and the identifying
 * values that free text (chat, AI transcripts, documents, event payloads) may quote.
 */
export interface SubjectProfile {
  subject: Subject;
  /** The subject's id and the ids of rows that are the subject too (a contact's leads). */
  ids: string[];
  /** Emails, phone numbers and full names as written; matched case-insensitively. */
  identifiers: string[];
}

/** What every store's step gets: the home region's database and bindings, the request, the subject. */
export interface StoreContext {
  db: Database;
  env: Env;
  config: Config;
  region: RegionId;
  tenantId: string;
  requestId: string;
  profile: SubjectProfile;
  now: Date;
}

/**
 * What erasure did to a store: rows deleted, rows kept with identifying fields replaced
 * (anonymised), rows kept under a legal hold with fields minimised (`reason`, `hold_until`),
 * stream or cache entries purged, credentials revoked; `none` when the store held nothing.
 * `handed_off` means an in-region service finishes the work (the relay purges JetStream).
 */
export type EraseAction = "deleted" | "anonymised" | "held" | "purged" | "revoked" | "handed_off" | "none";

export interface StoreOutcome {
  action: EraseAction;
  rows: number;
  reason?: string;
  holdUntil?: string;
}

export type Where = "postgres" | "durable_objects" | "upstash" | "jetstream";

/**
 * One place that can hold personal data (stores/…, one file per family). `columns` names the
 * Postgres columns it is answerable for (test/worker/privacy-columns.test.ts compares them with
 * the migrated schema); `export` answers the subject's rows for the archive; `erase` removes,
 * anonymises or holds them and must be idempotent, since a resumed run may repeat a step whose
 * work committed just before a crash.
 */
export interface PersonalDataStore {
  name: string;
  where: Where;
  /** What the store holds, for the README, the archive's manifest and the status. */
  description: string;
  columns: Readonly<Record<string, readonly string[]>>;
  /** Subject types this store holds rows of (all of them for a tenant). */
  subjects: readonly SubjectType[];
  export?: (ctx: StoreContext) => Promise<unknown[]>;
  erase: (ctx: StoreContext) => Promise<StoreOutcome>;
}
