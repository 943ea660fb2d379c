import { type SQL, sql } from "drizzle-orm";
import { utcIso } from "../../../../db/rows";
import type { PaymentProvider, PaymentStatus } from "../../../../db/schema/finance-enums";
import { REGIONS, type RegionId } from "../../../../regions/registry";
import { currencyExponent } from "../../finance/money";

/** The currencies whose minor unit is not cents, from money.ts's own table (ISO 4217). */
const NON_CENT_EXPONENTS = Intl.supportedValuesOf("currency")
  .map((code) => [code, currencyExponent(code)] as const)
  .filter(([, exponent]) => exponent !== 2);

/** A currency column's ISO 4217 exponent, as SQL (the table of money.ts, so they cannot disagree). */
export function exponentOf(currency: SQL): SQL {
  const groups = new Map<number, string[]>();
  for (const [code, exponent] of NON_CENT_EXPONENTS)
    groups.set(exponent, [...(groups.get(exponent) ?? []), code]);
  const cases = [...groups].map(
    ([exponent, codes]) =>
      sql`when ${currency} in (${sql.raw(codes.map((c) => `'${c}'`).join(", "))}) then ${sql.raw(String(exponent))}`,
  );
  return sql`(case ${sql.join(cases, sql` `)} else 2 end)`;
}

/**
 * Minor units (bigint) as the API's decimal string for the currency ("1250.00", JPY "5"): exact
 * integer arithmetic in Postgres, the same digits as money.ts's fromMinorUnits.
 */
export function decimalOf(minor: SQL, currency: SQL): SQL {
  const e = exponentOf(currency);
  return sql`(case when ${e} = 0 then ${minor}::text
    else (${minor} / (10::numeric ^ ${e})::bigint)::text || '.' || lpad((${minor} % (10::numeric ^ ${e})::bigint)::text, ${e}, '0') end)`;
}

/**
 * A connection's public id (`pcn_<region>_<hex>`), the form the connections API and the webhook
 * URL show, from its UUID column.
 */
export function publicConnectionId(region: RegionId, uuid: SQL): SQL {
  return sql`('pcn_' || ${REGIONS[region].keyCode}::text || '_' || replace(${uuid}::text, '-', ''))`;
}

/**
 * The API representation of a payment over the relation `from` (a table alias or a CTE such as
 * `changed`): responses and event payloads come from this one expression, so they cannot disagree.
 */
export function paymentJson(from: string, region: RegionId): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`json_build_object(
    'id', ${c("id")},
    'object', 'payment',
    'status', ${c("status")},
    'amount', ${decimalOf(c("amount_minor"), c("currency"))},
    'amount_refunded', ${decimalOf(c("amount_refunded_minor"), c("currency"))},
    'currency', ${c("currency")},
    'customer_email', ${c("customer_email")},
    'return_url', ${c("return_url")},
    'invoice_id', ${c("invoice_id")},
    'connection_id', ${publicConnectionId(region, c("connection_id"))},
    'provider', ${c("provider")},
    'provider_reference', ${c("provider_reference")},
    'provider_payment_id', ${c("provider_payment_id")},
    'checkout_url', ${c("checkout_url")},
    'failure_code', ${c("failure_code")},
    'failure_message', ${c("failure_message")},
    'expires_at', ${utcIso(c("expires_at"))},
    'succeeded_at', ${utcIso(c("succeeded_at"))},
    'created_at', ${utcIso(c("created_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}

/** A payment as the API shows it (the object paymentJson renders). */
export interface PaymentView {
  id: string;
  object: "payment";
  status: PaymentStatus;
  amount: string;
  amount_refunded: string;
  currency: string;
  customer_email: string;
  return_url: string;
  invoice_id: string | null;
  connection_id: string;
  provider: PaymentProvider;
  provider_reference: string;
  provider_payment_id: string | null;
  checkout_url: string | null;
  failure_code: string | null;
  failure_message: string | null;
  expires_at: string | null;
  succeeded_at: string | null;
  created_at: string;
  updated_at: string;
}
