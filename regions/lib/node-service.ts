import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Resolves once the server listens (with the real port when 0 was asked), rejects on a bind error. */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * SIGINT/SIGTERM close the service gracefully and exit 0; a second signal, or a close that takes
 * longer than `forcedExitMs`, exits 1 at once. Shared by the regional Node services' CLIs.
 */
export function closeOnSignals(options: {
  close: () => Promise<void>;
  log: (line: Record<string, unknown>) => void;
  forcedExitMs: number;
}): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    options.log({ level: "info", msg: "shutting down", signal });
    setTimeout(() => process.exit(1), options.forcedExitMs).unref();
    options.close().then(
      () => process.exit(0),
      (error: unknown) => {
        options.log({ level: "error", msg: "close failed", error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
