import { buildPeer, type PeerOptions } from "./server";

/**
 * Child-process entry: the peer in a Node process of its own, as it would be deployed, so its
 * CPU is measured apart from the load generator's. argv[2]: JSON PeerOptions plus {host, port}.
 * Prints one JSON line {url} once listening; exits when its stdin closes (see
 * bench/lib/gateway-process.ts for why).
 */
const options = JSON.parse(process.argv[2] ?? "{}") as PeerOptions & { host: string; port: number };
const { app, pool } = buildPeer(options);
const address = await app.listen({ host: options.host, port: options.port });
process.stdout.write(`${JSON.stringify({ url: address })}\n`);

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  Promise.allSettled([app.close(), pool.end()]).then(() => process.exit(0));
};
process.stdin.on("end", close);
process.stdin.on("close", close);
process.stdin.resume();
process.on("SIGTERM", close);
process.on("SIGINT", () => {});
