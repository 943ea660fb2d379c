// Copies the Scalar API reference bundle into the Worker's static assets, so /docs renders with
// no CDN (offline development, locked-down networks). Runs after npm install.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The package exports no ./package.json, so resolve the folder from node_modules directly.
const source = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const target = join(root, "public/docs/assets/scalar-api-reference.js");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`docs assets: ${target}`);
