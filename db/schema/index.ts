export * from "./api-keys";
export * from "./contacts";
export * from "./idempotency";
export * from "./identity";
export * from "./memberships";
export * from "./outbox";
export * from "./tenants";
export * from "./users";
