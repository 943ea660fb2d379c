/**
 * The regions Nexus Edge runs in. A region is one deployment of the Worker (wrangler env),
 * one database and one Kubernetes backend; a tenant's data at rest stays in its home region.
 */

export type RegionId = "eu" | "lagos";

export interface Region {
  id: RegionId;
  name: string;
  /** Short code in API key prefixes (`nxk_eu_…`, `nxk_ng_…`). */
  keyCode: string;
  /** Production base URL; also the `iss` of this region's tokens. */
  baseUrl: string;
  /** ISO 3166-1 alpha-2 countries whose businesses are homed here. */
  countries: readonly string[];
  /**
   * Durable Object placement. A jurisdiction is a guarantee (objects never leave it); a location
   * hint is best effort, which is why Lagos objects hold no personal data.
   */
  durableObjects: { jurisdiction: "eu" } | { locationHint: "afr" };
  compliance: "GDPR" | "NDPR";
  defaultCurrency: string;
  paymentProviders: readonly ("stripe" | "paystack" | "flutterwave")[];
  /**
   * Currencies whose payments go to this region's providers, tried in `paymentProviders` order
   * (paymentProvidersFor). A currency no region lists goes the default region's way.
   */
  paymentCurrencies: readonly string[];
  database: { provider: "neon"; location: string } | { provider: "regional-gateway"; location: string };
}

const EEA_UK_CH = [
  "AT",
  "BE",
  "BG",
  "HR",
  "CY",
  "CZ",
  "DK",
  "EE",
  "FI",
  "FR",
  "DE",
  "GR",
  "HU",
  "IE",
  "IT",
  "LV",
  "LT",
  "LU",
  "MT",
  "NL",
  "PL",
  "PT",
  "RO",
  "SK",
  "SI",
  "ES",
  "SE",
  "IS",
  "LI",
  "NO",
  "GB",
  "CH",
] as const;

const WEST_AFRICA = [
  "NG",
  "GH",
  "BJ",
  "BF",
  "CV",
  "CI",
  "GM",
  "GN",
  "GW",
  "LR",
  "ML",
  "NE",
  "SN",
  "SL",
  "TG",
] as const;

export const REGIONS: Readonly<Record<RegionId, Region>> = {
  eu: {
    id: "eu",
    name: "Europe (Frankfurt)",
    keyCode: "eu",
    baseUrl: "https://eu.nexus.bac.cloud",
    countries: EEA_UK_CH,
    durableObjects: { jurisdiction: "eu" },
    compliance: "GDPR",
    defaultCurrency: "EUR",
    paymentProviders: ["stripe"],
    paymentCurrencies: ["EUR"],
    database: { provider: "neon", location: "aws-eu-central-1" },
  },
  lagos: {
    id: "lagos",
    name: "Lagos",
    keyCode: "ng",
    baseUrl: "https://lagos.nexus.bac.cloud",
    countries: WEST_AFRICA,
    durableObjects: { locationHint: "afr" },
    compliance: "NDPR",
    defaultCurrency: "NGN",
    paymentProviders: ["paystack", "flutterwave"],
    // The African currencies Paystack or Flutterwave settle; a provider that lacks one refuses it.
    paymentCurrencies: ["NGN", "GHS", "KES", "ZAR", "EGP", "XOF", "XAF", "RWF", "UGX", "TZS", "ZMW", "MWK"],
    database: { provider: "regional-gateway", location: "lagos-k8s" },
  },
};

export const REGION_IDS = Object.keys(REGIONS) as RegionId[];

/** Businesses outside both lists are homed in the EU, the region with the stricter regime. */
export const DEFAULT_REGION: RegionId = "eu";

export function isRegionId(value: unknown): value is RegionId {
  return typeof value === "string" && value in REGIONS;
}

export function regionForCountry(country: string): RegionId {
  const code = country.toUpperCase();
  for (const region of Object.values(REGIONS)) {
    if (region.countries.includes(code)) return region.id;
  }
  return DEFAULT_REGION;
}

/**
 * The providers a payment in `currency` may use, in the order a tenant's connections are tried
 * when the payment names none (research/finance.md): NGN → Paystack, then Flutterwave; EUR and
 * every currency no region lists → Stripe.
 */
export function paymentProvidersFor(currency: string): Region["paymentProviders"] {
  const code = currency.toUpperCase();
  const region =
    Object.values(REGIONS).find((r) => r.paymentCurrencies.includes(code)) ?? REGIONS[DEFAULT_REGION];
  return region.paymentProviders;
}
