import type { Database, DatabaseOptions } from "./client";
import { InteractiveTransaction } from "./interactive-transaction";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Runs `work` inside an open transaction and answers what it answers (commits, or rolls back on a throw). */
export type Transactor = <T>(work: (db: Database) => Promise<T>) => Promise<T>;

/**
 * One interactive transaction for one tenant (its own WebSocket connection, `app.tenant_id` set
 * for its whole length), for work that must decide between statements in JavaScript and still
 * commit as one: finalizing an invoice holds its number while the e-invoice transmitter is asked,
 * and gives it back if that fails. `work` gets a Database whose every statement runs inside;
 * a throw rolls everything back. `closeLater` receives the connection's close (waitUntil).
 */
export async function inTenantTransaction<T>(
  options: DatabaseOptions,
  tenantId: string,
  work: (db: Database) => Promise<T>,
  closeLater: (closing: Promise<void>) => void = () => {},
): Promise<T> {
  if (!UUID.test(tenantId)) throw new Error("tenant id is not a UUID");
  const tx = await InteractiveTransaction.connect(options);
  try {
    // One round trip; the tenant id is a checked UUID. A transaction left idle (a stuck caller)
    // is ended by Postgres, so it cannot hold its row locks for long.
    await tx.script(`
      begin;
      select set_config('app.tenant_id', '${tenantId}', true);
      set local idle_in_transaction_session_timeout = '30s'`);
    tx.assumeTenant(tenantId);
    const result = await work(tx.database());
    await tx.commit();
    return result;
  } catch (error) {
    await tx.rollback().catch(() => {});
    throw error;
  } finally {
    closeLater(tx.close().catch(() => {}));
  }
}
