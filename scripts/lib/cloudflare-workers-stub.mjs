// Lets Node load the Worker's module graph (to build its OpenAPI document offline): the only
// `cloudflare:` import is `DurableObject` from `cloudflare:workers`, whose classes are defined at
// load time but never instantiated here.
import { register } from "node:module";

const STUB = [
  "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
  "export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
  "export const env = {};",
].join("\n");

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === "cloudflare:workers")
    return { url: "data:text/javascript," + encodeURIComponent(${JSON.stringify(STUB)}), shortCircuit: true };
  return next(specifier, context);
}`)}`,
);
