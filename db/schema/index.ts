export * from "./contacts";
export * from "./memberships";
export * from "./outbox";
export * from "./tenants";
export * from "./users";
