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

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
  }
}

/** A request body as UTF-8, refused (BodyTooLarge) past `limit` bytes without reading the rest. */
export async function readBody(req: AsyncIterable<unknown>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
