import { bigint, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, tenantId, tenantIsolation } from "./columns";
import { tenants } from "./tenants";

/**
 * Chat history of a tenant's realtime rooms, in its home region (for Lagos tenants this is the
 * only place messages are stored: the Durable Objects that relay them keep ids and counters).
 * `seq` is the room's order, assigned by the tenant's TenantHub before the row is written and the
 * message broadcast, so a client resuming from the last `seq` it saw misses nothing and sees
 * nothing twice.
 */
export const chatMessages = pgTable(
  "chat_messages",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    room: text("room").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    userId: uuid("user_id").notNull(),
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string", precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    uniqueIndex("chat_messages_room_seq_key").on(t.tenantId, t.room, t.seq),
    index("chat_messages_tenant_id_idx").on(t.tenantId),
    tenantIsolation(),
  ],
).enableRLS();

export type ChatMessage = typeof chatMessages.$inferSelect;
