import { describe, expect, it } from "vitest";
import { classifyIpAddress, parseIpv4, parseIpv6 } from "../../../workers/api/webhooks/ip-address";
import { checkResolvedAddress, checkWebhookUrl } from "../../../workers/api/webhooks/url-guard";

const strict = { allowPrivateTargets: false };
const local = { allowPrivateTargets: true };

const reason = (url: string, policy = strict) => {
  const check = checkWebhookUrl(url, policy);
  return check.ok ? "ok" : check.reason;
};

describe("IP address parsing", () => {
  it("reads only strict dotted decimal IPv4", () => {
    expect(parseIpv4("192.168.0.1")).toEqual([192, 168, 0, 1]);
    for (const bad of [
      "0x7f.0.0.1",
      "0177.0.0.1",
      "127.1",
      "2130706433",
      "1.2.3.256",
      "1.2.3.4.",
      "",
      "01.2.3.4",
    ]) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });

  it("reads IPv6 text forms, compressed and with a dotted-quad tail", () => {
    expect(parseIpv6("::1")).toEqual([...Array(15).fill(0), 1]);
    expect(parseIpv6("::")).toEqual(Array(16).fill(0));
    expect(parseIpv6("2001:db8::8a2e:370:7334")).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34,
    ]);
    expect(parseIpv6("::ffff:127.0.0.1")).toEqual([...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIpv6("1:2:3:4:5:6:1.2.3.4")?.slice(12)).toEqual([1, 2, 3, 4]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toHaveLength(16);
    for (const bad of [
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":1",
      "1:::2",
      "12345::",
      "fe80::1%eth0",
      "::1.2.3",
      "1.2.3.4",
      "g::1",
    ]) {
      expect(parseIpv6(bad), bad).toBeUndefined();
    }
  });

  it("classifies every special-purpose range as not public, and ordinary unicast as public", () => {
    const notPublic = [
      "0.0.0.0",
      "0.1.2.3",
      "10.1.2.3",
      "100.64.0.1",
      "100.127.255.254",
      "127.0.0.1",
      "127.255.255.254",
      "169.254.1.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.0.0.8",
      "192.0.2.1",
      "192.88.99.1",
      "192.168.1.1",
      "198.18.0.1",
      "198.19.255.255",
      "198.51.100.7",
      "203.0.113.9",
      "224.0.0.1",
      "239.255.255.250",
      "240.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "::127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "64:ff9b::a00:1",
      "64:ff9b:1::1",
      "100::1",
      "2001::1",
      "2001:db8::1",
      "2002:c000:0204::1",
      "3fff::1",
      "5f00::1",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "fec0::1",
      "ff02::1",
      "4000::1",
    ];
    for (const address of notPublic) expect(classifyIpAddress(address)?.public, address).toBe(false);
    for (const address of [
      "8.8.8.8",
      "1.1.1.1",
      "100.63.255.255",
      "100.128.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.169.0.1",
      "2606:4700::1111",
      "2a00:1450:4001::200e",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
    ]) {
      expect(classifyIpAddress(address), address).toEqual({ public: true });
    }
    expect(classifyIpAddress("example.com")).toBeUndefined();
  });

  it("marks the cloud metadata addresses as such", () => {
    for (const address of [
      "169.254.169.254",
      "169.254.170.2",
      "168.63.129.16",
      "100.100.100.200",
      "fd00:ec2::254",
      "[fd00:ec2::254]",
      "::ffff:169.254.169.254",
    ]) {
      expect(classifyIpAddress(address), address).toMatchObject({ public: false, metadata: true });
    }
    expect(classifyIpAddress("10.0.0.1")).toMatchObject({ metadata: false });
  });
});

describe("webhook URL guard, production policy (private targets refused)", () => {
  it("accepts public https URLs and answers their canonical form", () => {
    const check = checkWebhookUrl("HTTPS://Hooks.Example.COM:8443/in?x=1", strict);
    expect(check).toMatchObject({ ok: true });
    expect(check.ok && check.url.href).toBe("https://hooks.example.com:8443/in?x=1");
    expect(reason("https://8.8.8.8/hook")).toBe("ok");
    expect(reason("https://[2606:4700::1111]/hook")).toBe("ok");
    expect(reason("https://hooks.example.net./x")).toBe("ok");
  });

  it("refuses anything but https, and non-URLs", () => {
    expect(reason("http://hooks.example.com/")).toBe(
      "must use https (this deployment accepts https only, not http)",
    );
    for (const url of [
      "ftp://hooks.example.com/",
      "file:///etc/passwd",
      "gopher://x.example/",
      "javascript:alert(1)",
      "data:text/plain,x",
    ]) {
      expect(reason(url), url).toMatch(/^must use https \(this deployment accepts https only, not [a-z]+\)$/);
    }
    for (const url of ["hooks.example.com/in", "/relative", "", "https://"]) {
      expect(reason(url), url).toBe("must be an absolute URL");
    }
    expect(reason(`https://example.com/${"a".repeat(2048)}`)).toMatch(/at most 2048/);
  });

  it("refuses credentials in the URL", () => {
    expect(reason("https://user:pass@hooks.example.com/")).toBe("must not contain credentials");
    expect(reason("https://token@hooks.example.com/")).toBe("must not contain credentials");
  });

  it("refuses private, loopback, link-local, CGNAT, reserved and metadata IP literals", () => {
    for (const url of [
      "https://127.0.0.1/",
      "https://10.0.0.5:8443/x",
      "https://172.20.1.1/",
      "https://192.168.0.10/",
      "https://100.64.1.1/",
      "https://169.254.169.254/latest/meta-data/",
      "https://0.0.0.0/",
      "https://[::1]/",
      "https://[::]/",
      "https://[fe80::1]/",
      "https://[fd00:ec2::254]/",
      "https://[fc00::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://[::ffff:a9fe:a9fe]/",
      "https://[64:ff9b::10.0.0.1]/",
      "https://224.0.0.1/",
    ]) {
      expect(reason(url), url).toMatch(/^must not point at /);
    }
    expect(reason("https://169.254.169.254/")).toBe("must not point at a cloud metadata address");
    expect(reason("https://[::ffff:127.0.0.1]/")).toMatch(/loopback.*IPv4-mapped/);
  });

  it("refuses numeric, hex, octal and short IPv4 spellings, whatever they point at", () => {
    for (const url of [
      "https://2130706433/",
      "https://0x7f000001/",
      "https://0x7f.0.0.1/",
      "https://0177.0.0.1/",
      "https://127.1/",
      "https://127.0.0.1./",
      "https://%31%32%37.0.0.1/",
      "https://１２７.０.０.１/",
      "https://0/",
      "https://134744072/", // 8.8.8.8: public, but not how anyone writes an address
      "https://0x08.0x08.0x08.0x08/",
    ]) {
      expect(reason(url), url).toMatch(/dotted decimal/);
    }
    expect(reason("https://user@0x7f.1/")).toBe("must not contain credentials");
    expect(reason("https:\\\\0x7f.1/")).toMatch(/dotted decimal/);
  });

  it("refuses localhost, local and special-use names, single labels and metadata names", () => {
    for (const url of [
      "https://localhost/",
      "https://LOCALHOST./",
      "https://api.localhost/",
      "https://ⓛocalhost/",
      "https://printer.local/",
      "https://db.internal/",
      "https://metadata.google.internal/computeMetadata/v1/",
      "https://metadata/",
      "https://router.home.arpa/",
      "https://box.localdomain/",
      "https://hooks.test/",
      "https://hooks.example/",
      "https://x.invalid/",
      "https://abc.onion/",
      "https://intranet/",
      "https://a..b/",
    ]) {
      expect(reason(url), url).toMatch(/^must not point at /);
    }
    expect(reason("https://metadata.google.internal/")).toBe("must not point at a cloud metadata host");
    // Names that merely contain a special word are ordinary names.
    expect(reason("https://localhost.example.com/")).toBe("ok");
    expect(reason("https://internal.example.com/")).toBe("ok");
  });
});

describe("webhook URL guard, local policy (private targets allowed)", () => {
  it("allows http, loopback, private addresses and local names", () => {
    for (const url of [
      "http://127.0.0.1:9000/hook",
      "http://localhost:3000/",
      "https://10.0.0.5/",
      "http://[::1]:8080/",
      "http://receiver/",
      "http://svc.internal/",
    ]) {
      expect(reason(url, local), url).toBe("ok");
    }
  });

  it("still refuses metadata targets, credentials, odd spellings and other schemes", () => {
    expect(reason("http://169.254.169.254/", local)).toBe("must not point at a cloud metadata address");
    expect(reason("http://[fd00:ec2::254]/", local)).toBe("must not point at a cloud metadata address");
    expect(reason("http://metadata.google.internal/", local)).toBe("must not point at a cloud metadata host");
    expect(reason("http://u:p@127.0.0.1/", local)).toBe("must not contain credentials");
    expect(reason("http://0x7f.1/", local)).toMatch(/dotted decimal/);
    expect(reason("ftp://127.0.0.1/", local)).toBe(
      "must use https or http (this deployment accepts https and http, not ftp)",
    );
  });
});

describe("resolved-address check (for the dispatcher)", () => {
  it("applies the same verdicts to the address a name resolved to", () => {
    expect(checkResolvedAddress("93.184.215.14", strict)).toEqual({ ok: true });
    expect(checkResolvedAddress("2606:2800:21f:cb07:6820:80da:af6b:8b2c", strict)).toEqual({ ok: true });
    expect(checkResolvedAddress("10.1.1.1", strict)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/private/),
    });
    expect(checkResolvedAddress("::ffff:192.168.1.1", strict)).toMatchObject({ ok: false });
    expect(checkResolvedAddress("10.1.1.1", local)).toEqual({ ok: true });
    expect(checkResolvedAddress("169.254.169.254", local)).toMatchObject({ ok: false });
    expect(checkResolvedAddress("not-an-ip", strict)).toEqual({ ok: false, reason: "is not an IP address" });
  });
});
