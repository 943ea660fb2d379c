/**
 * Whether an IP address is one a webhook may be sent to: publicly routable, or not. The ranges
 * are IANA's special-purpose registries for IPv4 and IPv6 (RFC 6890 and its updates): anything
 * "not globally reachable" there is refused, not only the RFC 1918 blocks, because each of them
 * (CGNAT, benchmarking, 6to4, NAT64 …) has been a way around a narrower list.
 */

export type AddressVerdict =
  | { public: true }
  /** `metadata`: a cloud instance-metadata address, refused even where private targets are allowed. */
  | { public: false; metadata: boolean; reason: string };

interface Range {
  /** Network address as bytes (4 for IPv4, 16 for IPv6). */
  base: readonly number[];
  prefix: number;
  reason: string;
}

const v4 = (cidr: string, reason: string): Range => {
  const [address = "", prefix = "32"] = cidr.split("/");
  const base = parseIpv4(address);
  if (!base) throw new Error(`bad range ${cidr}`);
  return { base, prefix: Number(prefix), reason };
};

const v6 = (cidr: string, reason: string): Range => {
  const [address = "", prefix = "128"] = cidr.split("/");
  const base = parseIpv6(address);
  if (!base) throw new Error(`bad range ${cidr}`);
  return { base, prefix: Number(prefix), reason };
};

/** Instance-metadata endpoints of the major clouds (AWS/GCP/Azure/OCI, ECS, Azure wireserver, Alibaba). */
const METADATA: readonly Range[] = [
  v4("169.254.169.254", "a cloud metadata address"),
  v4("169.254.170.2", "a cloud metadata address"),
  v4("168.63.129.16", "a cloud metadata address"),
  v4("100.100.100.200", "a cloud metadata address"),
  v6("fd00:ec2::254", "a cloud metadata address"),
];

const IPV4_NOT_PUBLIC: readonly Range[] = [
  v4("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
  v4("10.0.0.0/8", "a private address (10.0.0.0/8)"),
  v4("100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)"),
  v4("127.0.0.0/8", "a loopback address (127.0.0.0/8)"),
  v4("169.254.0.0/16", "a link-local address (169.254.0.0/16)"),
  v4("172.16.0.0/12", "a private address (172.16.0.0/12)"),
  v4("192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"),
  v4("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
  v4("192.88.99.0/24", "a 6to4 relay address (192.88.99.0/24)"),
  v4("192.168.0.0/16", "a private address (192.168.0.0/16)"),
  v4("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
  v4("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
  v4("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
  v4("224.0.0.0/4", "a multicast address (224.0.0.0/4)"),
  v4("240.0.0.0/4", "a reserved or broadcast address (240.0.0.0/4)"),
];

/** IPv6 ranges that carry an IPv4 address in their last 32 bits: judged by that address. */
const IPV6_EMBEDDING_IPV4: readonly Range[] = [
  v6("::ffff:0:0/96", "IPv4-mapped"),
  v6("64:ff9b::/96", "NAT64"),
];

const IPV6_NOT_PUBLIC: readonly Range[] = [
  v6("::/128", "the unspecified address (::)"),
  v6("::1/128", "the loopback address (::1)"),
  v6("::/96", "an IPv4-compatible address (::/96, deprecated)"),
  v6("64:ff9b:1::/48", "a local-use NAT64 address (64:ff9b:1::/48)"),
  v6("100::/64", "a discard-only address (100::/64)"),
  v6("2001::/23", "an IETF protocol address (2001::/23, Teredo included)"),
  v6("2001:db8::/32", "a documentation address (2001:db8::/32)"),
  v6("2002::/16", "a 6to4 address (2002::/16)"),
  v6("3fff::/20", "a documentation address (3fff::/20)"),
  v6("5f00::/16", "a segment-routing address (5f00::/16)"),
  v6("fc00::/7", "a unique-local address (fc00::/7)"),
  v6("fe80::/10", "a link-local address (fe80::/10)"),
  v6("fec0::/10", "a site-local address (fec0::/10, deprecated)"),
  v6("ff00::/8", "a multicast address (ff00::/8)"),
];

/** Only 2000::/3 is global unicast; everything else in IPv6 is reserved or special. */
const IPV6_GLOBAL_UNICAST = v6("2000::/3", "");

function within(bytes: readonly number[], range: Range): boolean {
  if (bytes.length !== range.base.length) return false;
  const full = Math.floor(range.prefix / 8);
  for (let i = 0; i < full; i++) if (bytes[i] !== range.base[i]) return false;
  const rest = range.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[full] ?? 0) & mask) === ((range.base[full] ?? 0) & mask);
}

/** Strict dotted decimal (`127.0.0.1`): no hex, octal, leading zeros or fewer than four parts. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/** RFC 4291 text form (with `::` and an optional dotted-quad tail), without brackets or zone. */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let body = text;
  let tail: number[] = [];
  if (text.includes(".")) {
    const lastColon = text.lastIndexOf(":");
    const quad = parseIpv4(text.slice(lastColon + 1));
    if (!quad || lastColon < 0) return undefined;
    tail = quad;
    // "::ffff:1.2.3.4" leaves "::ffff", "::1.2.3.4" leaves "::".
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith("::")) body = body.slice(0, -1);
  }
  const wanted = 8 - tail.length / 2;
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const split = (half: string) => (half === "" ? [] : half.split(":"));
  const left = split(halves[0] ?? "");
  const right = halves.length === 2 ? split(halves[1] ?? "") : [];
  const missing = wanted - left.length - right.length;
  // Without "::" every group is written; with it, "::" stands for at least one zero group.
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const bytes: number[] = [];
  for (const group of [...left, ...Array<string>(missing).fill("0"), ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    const n = Number.parseInt(group, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return [...bytes, ...tail];
}

function classifyIpv4(bytes: readonly number[]): AddressVerdict {
  const metadata = METADATA.find((r) => within(bytes, r));
  if (metadata) return { public: false, metadata: true, reason: metadata.reason };
  const range = IPV4_NOT_PUBLIC.find((r) => within(bytes, r));
  return range ? { public: false, metadata: false, reason: range.reason } : { public: true };
}

function classifyIpv6(bytes: readonly number[]): AddressVerdict {
  const metadata = METADATA.find((r) => within(bytes, r));
  if (metadata) return { public: false, metadata: true, reason: metadata.reason };
  const embedding = IPV6_EMBEDDING_IPV4.find((r) => within(bytes, r));
  if (embedding) {
    const inner = classifyIpv4(bytes.slice(12));
    return inner.public ? inner : { ...inner, reason: `${inner.reason}, ${embedding.reason}` };
  }
  const range = IPV6_NOT_PUBLIC.find((r) => within(bytes, r));
  if (range) return { public: false, metadata: false, reason: range.reason };
  return within(bytes, IPV6_GLOBAL_UNICAST)
    ? { public: true }
    : { public: false, metadata: false, reason: "a reserved IPv6 address (outside 2000::/3)" };
}

/**
 * The verdict on an IP address in text (IPv4 dotted decimal, or IPv6 with or without brackets);
 * undefined when the text is not an IP address at all.
 */
export function classifyIpAddress(text: string): AddressVerdict | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const ipv4 = parseIpv4(bare);
  if (ipv4) return classifyIpv4(ipv4);
  const ipv6 = parseIpv6(bare);
  return ipv6 ? classifyIpv6(ipv6) : undefined;
}
