import { createNexusClient } from "../../packages/client/src/client";
import type { components } from "../../packages/client/src/generated/openapi";
import { accessToken, refresh } from "./auth/session";

/**
 * The project's own typed client (packages/client) against this origin, with the console's
 * in-memory session as its credential: an `Idempotency-Key` on every POST that takes one, a
 * refresh and one resend after a 401, typed errors from the envelope. No other origin is called.
 */
export const nexus = createNexusClient({
  baseUrl: window.location.origin,
  auth: {
    async authorization() {
      const token = await accessToken();
      return token ? `Bearer ${token}` : undefined;
    },
    refresh,
  },
  // A person is waiting: one quick retry of what may be retried, not the CLI's patience.
  retry: { maxRetries: 1, maxDelayMs: 2_000 },
});

export const api = nexus.api;
export const data = nexus.data;

export type Schemas = components["schemas"];

/** What a failed call says to a person. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
