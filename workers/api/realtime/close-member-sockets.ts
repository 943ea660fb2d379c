import type { Context } from "hono";
import { tenantHub } from "../../../durable-objects/tenant-hub-client";
import type { AppEnv } from "../app-env";
import { logError } from "../lib/log-error";
import { deferOf } from "../lib/service-context";

/**
 * After a committed change to a membership (removed, suspended, another role): the member's
 * realtime sockets in this tenant close at once, after the response. Best effort: if the hub
 * cannot be reached, its periodic recheck closes them within REALTIME_RECHECK_SECONDS.
 */
export function closeMemberSockets(c: Context<AppEnv>, tenantId: string, userId: string): void {
  const namespace = c.env.TENANT_HUB;
  const defer = deferOf(c);
  if (!namespace || !defer) return;
  const config = c.get("config");
  defer(
    tenantHub(namespace, { region: config.region, localRuntime: config.localRuntime }, tenantId)
      .closeUser(userId, "Membership changed")
      .catch((error: unknown) =>
        logError("closing a member's realtime sockets failed", c.get("requestId"), error),
      ),
  );
}
