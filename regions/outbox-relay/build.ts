/**
 * Bundles the outbox relay into one ESM file for the container image (regions/lib/bundle-service.ts):
 *
 *   node regions/outbox-relay/build.ts [--outfile dist/outbox-relay/main.mjs]
 *
 * pg, the NATS client and prom-client are devDependencies of this repository; the bundle needs
 * no node_modules at run time.
 */
import { resolve } from "node:path";
import { bundleService } from "../lib/bundle-service.ts";

await bundleService("outbox-relay", resolve(import.meta.dirname, "main.ts"));
