import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A stand-in for a Kubernetes Service in front of "whichever pod is primary" (CloudNativePG's
 * `-rw` Service): a fixed loopback address that forwards each new TCP connection to the current
 * target. `pointAt` is the operator relabelling the new primary; connections already open stay
 * with the pod they reached and die with it, as they do behind kube-proxy. With no target, or a
 * target that refuses, the client's connection is reset (kube-proxy rejects when a Service has no
 * endpoints).
 */
export interface TcpService {
  readonly port: number;
  pointAt(port: number | null): void;
  close(): Promise<void>;
}

export async function startTcpService(initialTarget: number | null): Promise<TcpService> {
  let target = initialTarget;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    if (target === null) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: "127.0.0.1", port: target });
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side going away takes the other with it, abruptly, as a lost pod would.
    upstream.once("error", () => client.resetAndDestroy());
    client.once("error", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.once("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    pointAt(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
