import type { Context } from "hono";
import type { AppEnv } from "../app-env";

/**
 * Test deployments only (ENVIRONMENT=test): a request may ask to fail at a named point, as a
 * Worker that dies or a database that refuses there would, so tests can show what is left
 * behind (nothing, or everything). Any other deployment ignores the header.
 */
export const FAULT_HEADER = "Nexus-Test-Fault";

/** The fault this request asks for, when it is one of `known` and this is a test deployment. */
export function injectedFault<F extends string>(c: Context<AppEnv>, known: readonly F[]): F | undefined {
  if (c.get("config").environment !== "test") return undefined;
  const value = c.req.header(FAULT_HEADER);
  return known.find((fault) => fault === value);
}
