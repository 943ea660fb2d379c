import { z } from "zod";

/**
 * The resolver port behind domain verification: the TXT strings published at a name. Production
 * asks a DNS-over-HTTPS resolver's JSON API (Cloudflare's and Google's share the format); local
 * development and tests point DNS_RESOLVER_URL at the stand-in in regions/dns-resolver/.
 */
export interface TxtResolver {
  txt(name: string): Promise<string[]>;
}

export const DEFAULT_DNS_RESOLVER_URL = "https://cloudflare-dns.com/dns-query";
const TXT_TYPE = 16;

// RFC 8427-style JSON: Status 0 is NOERROR, 3 NXDOMAIN (no record: an empty answer, not an error).
const dohAnswer = z.object({
  Status: z.number().int(),
  Answer: z.array(z.object({ type: z.number().int(), data: z.string() })).optional(),
});

/** A TXT record's data as DoH JSON shows it: one or more quoted strings, joined (RFC 7208 §3.3). */
export function txtData(data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
  return parts.length > 0 ? parts.join("") : data;
}

export function dohResolver(baseUrl: string, timeoutMs = 3_000): TxtResolver {
  return {
    async txt(name) {
      const url = new URL(baseUrl);
      url.searchParams.set("name", name);
      url.searchParams.set("type", "TXT");
      const response = await fetch(url, {
        headers: { Accept: "application/dns-json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`DNS resolver answered ${response.status}`);
      const body = dohAnswer.parse(await response.json());
      if (body.Status === 3) return [];
      if (body.Status !== 0) throw new Error(`DNS resolver status ${body.Status}`);
      return (body.Answer ?? []).filter((a) => a.type === TXT_TYPE).map((a) => txtData(a.data));
    },
  };
}
