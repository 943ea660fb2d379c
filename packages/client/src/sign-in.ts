import * as oauth from "oauth4webapi";
import {
  AuthorizationServer,
  type OAuthClientOptions,
  rethrowOAuth,
  type TokenSet,
  withExpiry,
} from "./auth";

export interface BrowserSignInOptions extends Omit<OAuthClientOptions, "clientSecret"> {
  /** Space-separated scopes; none asks for everything the client may have. */
  scope?: string | undefined;
  /** Shows the sign-in URL to the user: opens a browser, prints it, or (tests) drives one. */
  openBrowser: (url: string) => void | Promise<void>;
  /** The loopback port to listen on (default: any free one; RFC 8252 allows any). */
  port?: number | undefined;
  /** Gives up after this long (default 5 minutes). */
  timeoutMs?: number | undefined;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title>` +
  `<body style="font-family:system-ui;max-width:32rem;margin:4rem auto"><h1>${title}</h1><p>${text}</p></body></html>`;

/**
 * Authorization code + PKCE with a loopback redirect (RFC 8252), as a native app signs in: listen
 * on 127.0.0.1, send the user to the region's sign-in page, take the code from the redirect
 * (checking `state` and `iss`), redeem it with the verifier. Node only (it listens on a port).
 */
export async function signInWithBrowser(options: BrowserSignInOptions): Promise<TokenSet> {
  const { createServer } = await import("node:http");
  const server = await AuthorizationServer.discover(options);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();

  let settle: { resolve: (url: URL) => void; reject: (error: Error) => void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const listener = createServer((req, res) => {
    const url = new URL(req.url ?? "/", redirectUri);
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    const failed = url.searchParams.get("error");
    res
      .writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" })
      .end(
        failed
          ? PAGE("Sign-in failed", "Return to the terminal for details.")
          : PAGE("Signed in", "You can close this window and return to the terminal."),
      );
    settle?.resolve(url);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = listener.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const timer = setTimeout(
    () => settle?.reject(new Error("Sign-in timed out: no answer from the browser")),
    options.timeoutMs ?? 300_000,
  );

  try {
    const url = new URL(server.metadata.authorization_endpoint ?? `${options.issuer}/oauth/authorize`);
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: options.clientId,
      redirect_uri: redirectUri,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      ...(options.scope ? { scope: options.scope } : {}),
    })) {
      url.searchParams.set(name, value);
    }
    await options.openBrowser(url.href);
    const back = await callback;
    const params = await rethrowOAuth(async () =>
      oauth.validateAuthResponse(server.metadata, server.client, back, state),
    );
    return withExpiry(
      await rethrowOAuth(async () =>
        oauth.processAuthorizationCodeResponse(
          server.metadata,
          server.client,
          await oauth.authorizationCodeGrantRequest(
            server.metadata,
            server.client,
            server.clientAuth,
            params,
            redirectUri,
            verifier,
            server.http,
          ),
        ),
      ),
    );
  } finally {
    clearTimeout(timer);
    listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
}
