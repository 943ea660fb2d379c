/**
 * The client address as Cloudflare saw it. `CF-Connecting-IP` is set by Cloudflare's edge and
 * cannot be forged through it; `X-Forwarded-For` is whatever the client wrote, so it is never read.
 */
export function clientIp(headers: Headers): string | null {
  const value = headers.get("CF-Connecting-IP")?.trim();
  return value && value.length <= 64 ? value : null;
}

/**
 * The key limits count under: an IPv4 address as is, an IPv6 address by its /64 (one subscriber
 * usually holds a whole /64, so counting single addresses would be trivially escaped).
 */
export function ipLimitKey(ip: string | null): string {
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
