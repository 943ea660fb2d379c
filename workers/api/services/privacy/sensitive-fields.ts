import { requireDataKey } from "../../lib/data-key";
import type { ServiceContext } from "../context";
import { blindIndex, normalisePhone } from "./blind-index";
import {
  getOrCreateSubjectKey,
  isSealed,
  type KeyScope,
  openSealed,
  revealSealed,
  revealSealedJson,
  seal,
} from "./subject-keys";

/**
 * Tokenisation of the fields the platform spec calls sensitive (docs/privacy-keys.md): a
 * contact's phone number, and custom fields that hold dates of birth (the clinic preset's
 * `date_of_birth`). They are stored sealed under the contact's own data key (subject-keys.ts),
 * so the table, the outbox payloads of its events, JetStream and backups hold ciphertext only,
 * and erasing the contact's key shreds every copy. The phone also gets a blind index, which is
 * what `GET /contacts?phone=` matches. Records are revealed on the way out to authorised callers.
 */

/**
 * Custom-field keys holding a sensitive value, whatever the tenant's industry (migration 0026's
 * unsealed_personal_data_tenants names the same).
 */
export const SENSITIVE_CUSTOM_FIELDS: readonly string[] = ["date_of_birth"];

/** The field name the phone's blind index is computed under. */
const PHONE_INDEX = "contact.phone";

/** The key scope of the request's tenant; 503 when the region has no DATA_ENCRYPTION_KEY. */
export function keyScopeOf(ctx: ServiceContext): KeyScope {
  return {
    db: ctx.db,
    tenantId: ctx.actor.tenantId,
    rootKey: requireDataKey(ctx.dataKey, "Storing sensitive contact fields"),
  };
}

export interface ContactSensitiveColumns {
  phone: string | null;
  phoneIndex: string | null;
  customFields: Record<string, unknown>;
}

/**
 * What is stored for a contact's sensitive fields: the phone and sensitive custom fields sealed
 * under the contact's key (made on first need), the phone's blind index. A contact without any of
 * them gets no key and costs no round trip.
 */
export function protectContactFields(
  ctx: ServiceContext,
  contactId: string,
  fields: { phone: string | null; customFields: Record<string, unknown> },
): Promise<ContactSensitiveColumns> {
  // A client's value is sealed whatever it looks like: a sealed value pasted into a write must
  // not become another contact's field.
  return sealContactFields(() => keyScopeOf(ctx), contactId, fields, { keepSealed: false });
}

/**
 * protectContactFields for any caller with a key scope. With `keepSealed` (the backfill of stored
 * rows) values already sealed are kept as they are. The scope is asked for only when something
 * needs sealing.
 */
export async function sealContactFields(
  scopeOf: () => KeyScope,
  contactId: string,
  fields: { phone: string | null; customFields: Record<string, unknown> },
  options: { keepSealed: boolean },
): Promise<ContactSensitiveColumns & { changed: boolean }> {
  const customFields = { ...fields.customFields };
  const needsSealing = (value: unknown) => value != null && !(options.keepSealed && isSealed(value));
  const open = SENSITIVE_CUSTOM_FIELDS.filter((k) => needsSealing(customFields[k]));
  const phoneOpen = needsSealing(fields.phone);
  if (!phoneOpen && open.length === 0)
    return { phone: fields.phone, phoneIndex: null, customFields, changed: false };
  const scope = scopeOf();
  const key = await getOrCreateSubjectKey(scope, { type: "contact", id: contactId });
  for (const k of open) customFields[k] = await seal(key, customFields[k]);
  return {
    phone: phoneOpen && fields.phone !== null ? await seal(key, fields.phone) : fields.phone,
    phoneIndex: phoneOpen && fields.phone !== null ? await phoneIndex(scope, fields.phone) : null,
    customFields,
    changed: true,
  };
}

/** The blind index `?phone=` looks up. */
export function phoneIndex(scope: KeyScope, phone: string): Promise<string> {
  return blindIndex(scope.rootKey, scope.tenantId, PHONE_INDEX, normalisePhone(phone));
}

/**
 * A record (a contact, a lead, an event, any JSON holding them) as authorised callers see it:
 * sealed values opened; a shredded one reads as null.
 */
export function revealRecordJson(ctx: ServiceContext, json: string): Promise<string> {
  return json.includes('"nxs1.') ? revealSealedJson(keyScopeOf(ctx), json) : Promise.resolve(json);
}

/** revealRecordJson for a page of records: one key read for all of them. */
export async function revealRecordPage(ctx: ServiceContext, items: string[]): Promise<string[]> {
  if (!items.some((item) => item.includes('"nxs1.'))) return items;
  const revealed = await revealSealed(
    keyScopeOf(ctx),
    items.map((item) => JSON.parse(item) as unknown),
  );
  return revealed.map((item) => JSON.stringify(item));
}

/**
 * A lead's phone as stored: sealed under the lead's own key (a lead is a person before it is a
 * contact). `undefined` (a patch that leaves it) and null pass through.
 */
export async function sealLeadPhone(
  ctx: ServiceContext,
  leadId: string,
  phone: string | null | undefined,
): Promise<string | null | undefined> {
  if (phone == null) return phone;
  const key = await getOrCreateSubjectKey(keyScopeOf(ctx), { type: "lead", id: leadId });
  return seal(key, phone);
}

/** A stored value opened (null once shredded); a value stored in clear is returned as it is. */
export async function openStoredValue(ctx: ServiceContext, value: string | null): Promise<string | null> {
  if (value === null || !isSealed(value)) return value;
  const opened = (await openSealed(keyScopeOf(ctx), [value])).get(value);
  return typeof opened === "string" ? opened : null;
}
