import type { ComponentChildren } from "preact";

/** Errors interrupt (role=alert); progress and results are announced politely (role=status). */
export function Notice(props: { kind: "error" | "info"; children: ComponentChildren }) {
  return props.kind === "error" ? (
    <p class="notice error" role="alert">
      {props.children}
    </p>
  ) : (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}

export function Loading(props: { loading: boolean; error: string | undefined }) {
  if (props.error) return <Notice kind="error">{props.error}</Notice>;
  return props.loading ? <p class="muted">Loading…</p> : null;
}
