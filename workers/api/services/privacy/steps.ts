import type { StoreOutcome, Where } from "./types";

/** One store's progress in a request, as stored (privacy_requests.steps) and shown. */
export interface StepRecord {
  store: string;
  where: Where;
  state: "pending" | "running" | "done" | "failed";
  attempts: number;
  /** Erasure: what was done. Export: `exported`. */
  action: StoreOutcome["action"] | "exported" | null;
  rows: number | null;
  reason: string | null;
  error: { code: string; message: string } | null;
  finished_at: string | null;
}

export const newStep = (store: string, where: Where): StepRecord => ({
  store,
  where,
  state: "pending",
  attempts: 0,
  action: null,
  rows: null,
  reason: null,
  error: null,
  finished_at: null,
});
