import type { ErrorDetail } from "./errors";

/** Pagination and other list metadata (API.md "Lists"). */
export interface ListMeta {
  limit: number;
  cursor: string | null;
  has_more: boolean;
  total?: number;
}

export interface SuccessEnvelope<T> {
  status: "success";
  data: T;
  meta?: ListMeta | Record<string, unknown>;
  request_id: string;
}

export interface ErrorEnvelope {
  status: "error";
  errors: ErrorDetail[];
  request_id: string;
}

export function success<T>(
  data: T,
  requestId: string,
  meta?: SuccessEnvelope<T>["meta"],
): SuccessEnvelope<T> {
  return meta === undefined
    ? { status: "success", data, request_id: requestId }
    : { status: "success", data, meta, request_id: requestId };
}

export function failure(errors: ErrorDetail[], requestId: string): ErrorEnvelope {
  return { status: "error", errors, request_id: requestId };
}

/**
 * The success envelope around data that is already JSON text (rendered by Postgres), so it is
 * not parsed and re-serialised on the way through.
 */
export function rawSuccess(dataJson: string, requestId: string, meta?: ListMeta): string {
  const metaPart = meta === undefined ? "" : `,"meta":${JSON.stringify(meta)}`;
  return `{"status":"success","data":${dataJson}${metaPart},"request_id":${JSON.stringify(requestId)}}`;
}

export const JSON_CONTENT_TYPE = { "Content-Type": "application/json; charset=UTF-8" } as const;
