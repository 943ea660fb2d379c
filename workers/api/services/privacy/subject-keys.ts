import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { SubjectType } from "../../../../db/schema/subject-keys";
import { decodeBase64, encodeBase64 } from "../../auth/credentials/base64";
import { KEK_VERSION, tenantKeyEncryptionKey } from "./tenant-keys";

/**
 * Crypto-shredding (docs/privacy-keys.md): each person (a contact, a lead, a user) gets a random
 * AES-256-GCM data key, stored in the home region's `subject_keys` wrapped by the tenant's KEK.
 * Personal fields that outlive a deletion (outbox payloads relayed to JetStream, backups) are
 * sealed under it; destroying the key is the erasure of every copy at once.
 *
 * A sealed value is self-describing text that fits anywhere a string does (a column, JSON):
 * `nxs1.<key id>.<iv b64>.<ciphertext+tag b64>`. The key id says which key opens it, so a
 * payload can be revealed without knowing whose it is.
 *
 * Self-contained on purpose: the erasure job (services/privacy/, another module) calls
 * destroySubjectKey / destroyTenantKeys and needs nothing else from here.
 */

export type { SubjectType };
export interface Subject {
  type: SubjectType;
  id: string;
}

/** Where keys live and what opens them: the region's database and DATA_ENCRYPTION_KEY, one tenant. */
export interface KeyScope {
  db: Database;
  tenantId: string;
  /** The region's DATA_ENCRYPTION_KEY (base64, 32 bytes), root of the tenant KEK. */
  rootKey: string;
}

/** A subject's data key, unwrapped: only ever in memory. */
export interface SubjectKey {
  id: string;
  key: CryptoKey;
}

const PREFIX = "nxs1";
const IV_BYTES = 12;
const TOKEN =
  /^nxs1\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9+/]{16})\.([A-Za-z0-9+/]+)$/;
const encoder = new TextEncoder();

/** Whether `value` is a sealed value of this module (anything else passes through reveals untouched). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(`${PREFIX}.`) && TOKEN.test(value);
}

/** The id of the key that opens a sealed value (what the erasure job or a scan can look for). */
export function sealedKeyId(value: string): string | undefined {
  return TOKEN.exec(value)?.[1];
}

/** Binds a wrapped key to its tenant, subject and id: a wrapped key copied onto another row is useless. */
const wrapContext = (tenantId: string, subject: Subject, keyId: string) =>
  encoder.encode(`${tenantId}/${subject.type}/${subject.id}/${keyId}`);

async function wrap(scope: KeyScope, subject: Subject, keyId: string, raw: Uint8Array<ArrayBuffer>) {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: wrapContext(scope.tenantId, subject, keyId) },
    await tenantKeyEncryptionKey(scope.rootKey, scope.tenantId),
    raw,
  );
  return `${encodeBase64(iv)}.${encodeBase64(new Uint8Array(wrapped))}`;
}

/**
 * Unwrapped keys per isolate, by key id and wrapped bytes. Only ever consulted with a row just read
 * from subject_keys: a destroyed key has no wrapped bytes, so it is never found here again.
 */
const unwrapped = new Map<string, Promise<SubjectKey>>();
const MAX_UNWRAPPED = 5000;

function unwrap(scope: KeyScope, row: KeyRow): Promise<SubjectKey> {
  const id = `${scope.tenantId}/${row.id}/${row.wrapped_key}`;
  let key = unwrapped.get(id);
  if (!key) {
    if (unwrapped.size >= MAX_UNWRAPPED) unwrapped.clear();
    key = unwrapUncached(scope, row);
    key.catch(() => unwrapped.delete(id));
    unwrapped.set(id, key);
  }
  return key;
}

async function unwrapUncached(scope: KeyScope, row: KeyRow): Promise<SubjectKey> {
  const [ivText = "", bodyText = ""] = (row.wrapped_key ?? "").split(".");
  const iv = decodeBase64(ivText);
  const body = decodeBase64(bodyText);
  if (!iv || !body) throw new TypeError(`subject key ${row.id}: malformed wrapped key`);
  const subject = { type: row.subject_type, id: row.subject_id };
  const raw = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: wrapContext(scope.tenantId, subject, row.id) },
    await tenantKeyEncryptionKey(scope.rootKey, scope.tenantId),
    body,
  );
  return { id: row.id, key: await importDataKey(new Uint8Array(raw)) };
}

const importDataKey = (raw: Uint8Array<ArrayBuffer>) =>
  crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);

interface KeyRow {
  id: string;
  subject_type: SubjectType;
  subject_id: string;
  wrapped_key: string | null;
}

/**
 * The subject's live key, made on first use. Two writers racing for one subject both end with
 * the one row the unique index let in: the insert and the read share one atomic batch.
 */
export async function getOrCreateSubjectKey(scope: KeyScope, subject: Subject): Promise<SubjectKey> {
  const id = crypto.randomUUID();
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const wrapped = await wrap(scope, subject, id, raw);
  const [, rows = []] = await tenantRows(scope.db, scope.tenantId, [
    sql`insert into subject_keys (id, tenant_id, subject_type, subject_id, wrapped_key, kek_version)
      values (${id}, ${scope.tenantId}, ${subject.type}, ${subject.id}, ${wrapped}, ${KEK_VERSION})
      on conflict (tenant_id, subject_type, subject_id) where destroyed_at is null do nothing`,
    sql`select id, subject_type, subject_id, wrapped_key from subject_keys
      where tenant_id = ${scope.tenantId} and subject_type = ${subject.type}
        and subject_id = ${subject.id} and destroyed_at is null`,
  ]);
  const row = rows[0] as KeyRow | undefined;
  if (!row) throw new Error("subject key was neither inserted nor found");
  return row.id === id ? { id, key: await importDataKey(raw) } : unwrap(scope, row);
}

/**
 * Seals one JSON value (a string, a date as text, a number…) under a subject's key (see
 * getOrCreateSubjectKey); opening gives the same value back, type included.
 */
export async function seal(key: SubjectKey, value: unknown): Promise<string> {
  const plaintext = JSON.stringify(value);
  if (plaintext === undefined) throw new TypeError("only JSON values can be sealed");
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const body = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(key.id) },
    key.key,
    encoder.encode(plaintext),
  );
  return `${PREFIX}.${key.id}.${encodeBase64(iv)}.${encodeBase64(new Uint8Array(body))}`;
}

/** getOrCreateSubjectKey + seal, for one value. */
export async function sealForSubject(scope: KeyScope, subject: Subject, value: unknown): Promise<string> {
  return seal(await getOrCreateSubjectKey(scope, subject), value);
}

/**
 * Opens sealed values of the tenant with one database read for all their keys. A value whose key
 * was destroyed (or never existed in this tenant) opens to null: it has been shredded.
 */
export async function openSealed(scope: KeyScope, values: Iterable<string>): Promise<Map<string, unknown>> {
  const byKey = new Map<string, string[]>();
  for (const value of values) {
    const keyId = sealedKeyId(value);
    if (!keyId) throw new TypeError("not a sealed value");
    byKey.set(keyId, [...(byKey.get(keyId) ?? []), value]);
  }
  const opened = new Map<string, unknown>();
  if (byKey.size === 0) return opened;
  const [rows = []] = await tenantRows(scope.db, scope.tenantId, [
    sql`select id, subject_type, subject_id, wrapped_key from subject_keys
      where tenant_id = ${scope.tenantId} and id = any(${sql.param([...byKey.keys()])}::uuid[])
        and wrapped_key is not null`,
  ]);
  // WebCrypto calls run concurrently: a page of 50 people is 50 unwraps and their fields at once.
  const keys = new Map(
    await Promise.all((rows as KeyRow[]).map(async (row) => [row.id, await unwrap(scope, row)] as const)),
  );
  await Promise.all(
    [...byKey].flatMap(([keyId, sealed]) => {
      const key = keys.get(keyId);
      return sealed.map(async (value) => {
        opened.set(value, key ? await open(key, value) : null);
      });
    }),
  );
  return opened;
}

/** Throws on a value this key did not seal: corrupt data is loud, unlike a destroyed key. */
async function open(key: SubjectKey, value: string): Promise<unknown> {
  const [, , ivText, bodyText] = TOKEN.exec(value) ?? [];
  const iv = decodeBase64(ivText ?? "");
  const body = decodeBase64(bodyText ?? "");
  if (!iv || !body) throw new TypeError("malformed sealed value");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(key.id) },
    key.key,
    body,
  );
  return JSON.parse(new TextDecoder().decode(plain)) as unknown;
}

/**
 * `value` with every sealed string inside it (at any depth of arrays and objects) replaced by the
 * value sealed, or by null where the key is gone. What carries no sealed value is returned as is.
 */
export async function revealSealed<T>(scope: KeyScope, value: T): Promise<T> {
  const found = new Set<string>();
  collect(value, found);
  if (found.size === 0) return value;
  const opened = await openSealed(scope, found);
  return replace(value, opened) as T;
}

/**
 * revealSealed over JSON text (Postgres renders records as JSON, services splice it as is): text
 * without a sealed value is returned untouched, without parsing.
 */
export async function revealSealedJson(scope: KeyScope, json: string): Promise<string> {
  if (!json.includes(`"${PREFIX}.`)) return json;
  return JSON.stringify(await revealSealed(scope, JSON.parse(json) as unknown));
}

function collect(value: unknown, into: Set<string>): void {
  if (isSealed(value)) into.add(value);
  else if (Array.isArray(value)) for (const item of value) collect(item, into);
  else if (value && typeof value === "object") for (const item of Object.values(value)) collect(item, into);
}

function replace(value: unknown, opened: Map<string, unknown>): unknown {
  if (typeof value === "string") return opened.has(value) ? opened.get(value) : value;
  if (Array.isArray(value)) return value.map((item) => replace(item, opened));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, opened)]));
  return value;
}

export interface DestroyedKeys {
  /** Ids of the keys destroyed now (none when the subject had no live key). */
  keyIds: string[];
}

/**
 * Crypto-shreds a subject: its live key loses its wrapped bytes, so everything sealed under it,
 * wherever the copy is, opens to null from now on. The row stays (id, subject, destroyed_at) as
 * the record that the shred happened. Idempotent.
 */
export async function destroySubjectKey(scope: KeyScope, subject: Subject): Promise<DestroyedKeys> {
  const [rows = []] = await tenantRows(scope.db, scope.tenantId, [
    sql`update subject_keys set wrapped_key = null, destroyed_at = now()
      where tenant_id = ${scope.tenantId} and subject_type = ${subject.type}
        and subject_id = ${subject.id} and destroyed_at is null
      returning id`,
  ]);
  return { keyIds: (rows as { id: string }[]).map((r) => r.id) };
}

/** Crypto-shreds every subject of the tenant (a tenant erasure). Idempotent. */
export async function destroyTenantKeys(scope: KeyScope): Promise<DestroyedKeys> {
  const [rows = []] = await tenantRows(scope.db, scope.tenantId, [
    sql`update subject_keys set wrapped_key = null, destroyed_at = now()
      where tenant_id = ${scope.tenantId} and destroyed_at is null
      returning id`,
  ]);
  return { keyIds: (rows as { id: string }[]).map((r) => r.id) };
}
