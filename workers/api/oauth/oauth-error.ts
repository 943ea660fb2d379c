/**
 * Errors of the OAuth endpoints. These speak RFC 6749's formats (`{error, error_description}` or
 * redirect parameters), not the API envelope, so they are their own small type; everything else
 * in the Worker throws ApiError.
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "access_denied"
  | "server_error"
  | "temporarily_unavailable"
  | "invalid_token"
  | "unsupported_token_type";

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: 400 | 401 | 503 | 500;

  constructor(error: OAuthErrorCode, description: string, status?: 400 | 401 | 503 | 500) {
    super(description);
    this.name = "OAuthError";
    this.error = error;
    // RFC 6749 §5.2: a failed client authentication is 401, everything else 400.
    this.status = status ?? (error === "invalid_client" || error === "invalid_token" ? 401 : 400);
  }

  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}
