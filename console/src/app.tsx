import { useEffect, useState } from "preact/hooks";
import {
  beginSignIn,
  type Claims,
  completeSignIn,
  currentClaims,
  onSessionChange,
  signOut,
} from "./auth/session";
import { Notice } from "./components/notice";
import { useRoute } from "./router";
import { ApiKeys } from "./screens/api-keys";
import { Audit } from "./screens/audit";
import { Contacts } from "./screens/contacts";
import { Leads, Opportunities } from "./screens/crm-lists";
import { Invoices } from "./screens/invoices";
import { Members } from "./screens/members";
import { Overview } from "./screens/overview";
import { Settings } from "./screens/settings";
import { Webhooks } from "./screens/webhooks";

const SCREENS = [
  { route: "overview", label: "Overview", view: Overview },
  { route: "contacts", label: "Contacts", view: Contacts },
  { route: "leads", label: "Leads", view: Leads },
  { route: "opportunities", label: "Opportunities", view: Opportunities },
  { route: "invoices", label: "Invoices", view: Invoices },
  { route: "members", label: "Members", view: Members },
  { route: "api-keys", label: "API keys", view: ApiKeys },
  { route: "webhooks", label: "Webhooks", view: Webhooks },
  { route: "audit", label: "Audit log", view: Audit },
  { route: "settings", label: "Settings", view: Settings },
] as const;

/** Who may use the console: the tenant's managers. Others are told so, not shown broken screens. */
const CONSOLE_ROLES = new Set(["Owner", "Admin"]);

export function App() {
  const [claims, setClaims] = useState<Claims | null>(currentClaims());
  const [starting, setStarting] = useState(true);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const off = onSessionChange(() => setClaims(currentClaims()));
    completeSignIn()
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setStarting(false));
    return off;
  }, []);

  if (starting) return <p class="muted centered">Signing in…</p>;
  if (!claims) return <SignIn error={error} />;
  if (!CONSOLE_ROLES.has(claims.role)) {
    return (
      <main class="centered">
        <h1>Nexus Edge console</h1>
        <Notice kind="error">
          The console is for a business's Owner and Admins; your role is {claims.role}. The API and the
          command line still work with what your role allows.
        </Notice>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </main>
    );
  }
  return <Shell claims={claims} />;
}

function SignIn(props: { error: string | null }) {
  useEffect(() => {
    document.title = "Sign in · Nexus Edge console";
  }, []);
  return (
    <main class="centered">
      <h1>Nexus Edge console</h1>
      <p>Manage your business on Nexus Edge: contacts, invoices, members, API keys and webhooks.</p>
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <button type="button" class="primary" onClick={() => void beginSignIn()}>
        Sign in
      </button>
      <p class="muted">
        You sign in on this region's own sign-in page; the console never sees your password.
      </p>
    </main>
  );
}

function Shell(props: { claims: Claims }) {
  const route = useRoute();
  const screen = SCREENS.find((s) => s.route === route) ?? SCREENS[0];
  const View = screen.view;
  return (
    <>
      {/* A button, not a #main link: the fragment names the screen (router.ts). */}
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Nexus Edge console</span>
        <span class="who">
          {props.claims.role} · region {props.claims.region}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav aria-label="Console">
          <ul>
            {SCREENS.map((s) => (
              <li key={s.route}>
                <a href={`#/${s.route}`} aria-current={s.route === screen.route ? "page" : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <View key={screen.route} />
        </main>
      </div>
    </>
  );
}
