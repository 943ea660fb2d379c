import * as oauth from "oauth4webapi";
import { NexusOAuthError } from "./errors";

/** What the transport asks of a credential: the header value, and a refresh after a 401. */
export interface AuthProvider {
  authorization(): Promise<string | undefined>;
  /** Gets a new access token; false when it cannot (the 401 is then the caller's). */
  refresh?(): Promise<boolean>;
}

/** An API key (`nxk_{region}_…`), sent as a bearer token. */
export function apiKeyAuth(key: string): AuthProvider {
  if (!/^nxk_[a-z]{2}_/.test(key)) throw new TypeError("An API key starts with nxk_{region}_");
  return { authorization: async () => `Bearer ${key}` };
}

/** A token response as the authorization server answers it, with when it was received. */
export interface TokenSet {
  access_token: string;
  refresh_token?: string | undefined;
  id_token?: string | undefined;
  token_type: string;
  scope?: string | undefined;
  expires_in?: number | undefined;
  /** Unix ms after which the access token is expired (from `expires_in` on receipt). */
  expires_at?: number | undefined;
}

export function withExpiry(tokens: oauth.TokenEndpointResponse, now = Date.now()): TokenSet {
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    id_token: tokens.id_token,
    token_type: tokens.token_type,
    scope: tokens.scope,
    expires_in: tokens.expires_in,
    expires_at: tokens.expires_in ? now + tokens.expires_in * 1000 : undefined,
  };
}

/** A client of the region's authorization server; plain http is allowed only on loopback. */
export interface OAuthClientOptions {
  /** The region's base URL (it is the issuer). */
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  fetch?: typeof fetch | undefined;
}

function loopback(url: URL): boolean {
  return (
    url.protocol === "http:" &&
    (url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]")
  );
}

/** The authorization server's metadata and what oauth4webapi needs with it. */
export class AuthorizationServer {
  private constructor(
    readonly metadata: oauth.AuthorizationServer,
    readonly client: oauth.Client,
    readonly clientAuth: oauth.ClientAuth,
    readonly http: { [oauth.allowInsecureRequests]?: boolean; [oauth.customFetch]?: typeof fetch },
  ) {}

  static async discover(options: OAuthClientOptions): Promise<AuthorizationServer> {
    const issuer = new URL(options.issuer);
    const http = {
      ...(loopback(issuer) ? { [oauth.allowInsecureRequests]: true } : {}),
      ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
    };
    const metadata = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...http }),
    );
    const clientAuth = options.clientSecret ? oauth.ClientSecretBasic(options.clientSecret) : oauth.None();
    return new AuthorizationServer(metadata, { client_id: options.clientId }, clientAuth, http);
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    return withExpiry(
      await rethrowOAuth(async () =>
        oauth.processRefreshTokenResponse(
          this.metadata,
          this.client,
          await oauth.refreshTokenGrantRequest(
            this.metadata,
            this.client,
            this.clientAuth,
            refreshToken,
            this.http,
          ),
        ),
      ),
    );
  }

  async clientCredentials(scope?: string): Promise<TokenSet> {
    const parameters = new URLSearchParams(scope ? { scope } : {});
    return withExpiry(
      await rethrowOAuth(async () =>
        oauth.processClientCredentialsResponse(
          this.metadata,
          this.client,
          await oauth.clientCredentialsGrantRequest(
            this.metadata,
            this.client,
            this.clientAuth,
            parameters,
            this.http,
          ),
        ),
      ),
    );
  }

  async revoke(token: string): Promise<void> {
    await rethrowOAuth(async () =>
      oauth.processRevocationResponse(
        await oauth.revocationRequest(this.metadata, this.client, this.clientAuth, token, this.http),
      ),
    );
  }
}

/** oauth4webapi's errors, as the one OAuth error type of this package. */
export async function rethrowOAuth<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
      throw new NexusOAuthError(error.error, error.error_description);
    }
    throw error;
  }
}

export interface OAuthSessionOptions {
  server: AuthorizationServer | (() => Promise<AuthorizationServer>);
  tokens: TokenSet;
  /** Called with every new token set: refresh tokens rotate, so the new one must be stored. */
  onTokens?: ((tokens: TokenSet) => void | Promise<void>) | undefined;
  /** Refresh this long before expiry (default 30 s). */
  earlyRefreshMs?: number | undefined;
}

/**
 * A signed-in user's tokens: the access token until shortly before it expires, then one refresh
 * (rotating: the new refresh token replaces the old, which the server will refuse and treat as
 * theft if it is used again). Concurrent callers share one refresh.
 */
export class OAuthSession implements AuthProvider {
  private tokens: TokenSet;
  private inflight: Promise<boolean> | undefined;
  private server: AuthorizationServer | undefined;

  constructor(private readonly options: OAuthSessionOptions) {
    this.tokens = options.tokens;
    if (options.server instanceof AuthorizationServer) this.server = options.server;
  }

  get current(): TokenSet {
    return this.tokens;
  }

  async authorization(): Promise<string> {
    const early = this.options.earlyRefreshMs ?? 30_000;
    if (this.tokens.expires_at && this.tokens.refresh_token && Date.now() > this.tokens.expires_at - early) {
      await this.refresh();
    }
    return `Bearer ${this.tokens.access_token}`;
  }

  refresh(): Promise<boolean> {
    if (!this.tokens.refresh_token) return Promise.resolve(false);
    this.inflight ??= (async () => {
      try {
        this.server ??= await (this.options.server as () => Promise<AuthorizationServer>)();
        const next = await this.server.refresh(this.tokens.refresh_token as string);
        // A server that does not rotate keeps the old refresh token valid.
        this.tokens = { ...next, refresh_token: next.refresh_token ?? this.tokens.refresh_token };
        await this.options.onTokens?.(this.tokens);
        return true;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

/**
 * A confidential client's own token (client credentials): fetched on first use, fetched again
 * shortly before it expires or after a 401.
 */
export class ClientCredentialsAuth implements AuthProvider {
  private tokens: TokenSet | undefined;
  private inflight: Promise<boolean> | undefined;
  private server: AuthorizationServer | undefined;

  constructor(private readonly options: OAuthClientOptions & { scope?: string | undefined }) {
    if (!options.clientSecret) throw new TypeError("Client credentials need a client secret");
  }

  async authorization(): Promise<string> {
    if (!this.tokens || (this.tokens.expires_at && Date.now() > this.tokens.expires_at - 30_000))
      await this.refresh();
    return `Bearer ${this.tokens?.access_token}`;
  }

  refresh(): Promise<boolean> {
    this.inflight ??= (async () => {
      try {
        this.server ??= await AuthorizationServer.discover(this.options);
        this.tokens = await this.server.clientCredentials(this.options.scope);
        return true;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
