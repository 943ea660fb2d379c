/** Who asked, as the audit log records it. No secrets, no bodies. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}
