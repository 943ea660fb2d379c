import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What a native app does for RFC 8252: listen on a loopback port for the redirect, take the
 * callback URL, answer a small page. Resolves with the first callback's full URL.
 */
export async function loopbackCallback(): Promise<{
  redirectUri: string;
  callback: Promise<URL>;
  close: () => Promise<void>;
}> {
  let resolve: (url: URL) => void = () => {};
  const callback = new Promise<URL>((r) => {
    resolve = r;
  });
  const server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    resolve(new URL(req.url ?? "/", `http://127.0.0.1:${port}`));
    res.writeHead(200, { "Content-Type": "text/html" }).end("<p>Signed in. You can close this window.</p>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    callback,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
