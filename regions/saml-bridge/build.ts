/**
 * Bundles the SAML bridge into one ESM file for the container image (regions/lib/bundle-service.ts):
 *
 *   node regions/saml-bridge/build.ts [--outfile dist/saml-bridge/main.mjs]
 *
 * pg, @node-saml/node-saml and xml-crypto are devDependencies of this repository; the bundle needs
 * no node_modules at run time.
 */
import { resolve } from "node:path";
import { bundleService } from "../lib/bundle-service.ts";

await bundleService("saml-bridge", resolve(import.meta.dirname, "main.ts"));
