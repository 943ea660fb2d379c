import { useEffect, useRef, useState } from "preact/hooks";

/** A secret shown once: focused when it appears, copyable, and gone when dismissed. */
export function SecretOnce(props: { label: string; secret: string; onDone: () => void }) {
  const box = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => box.current?.focus(), []);
  return (
    <section class="secret" aria-label={props.label} tabIndex={-1} ref={box}>
      <p>
        <strong>{props.label}.</strong> Copy it now: it is not shown again.
      </p>
      <p>
        <code data-testid="secret">{props.secret}</code>
      </p>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(props.secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          Copy
        </button>
        <button type="button" onClick={props.onDone}>
          I have stored it
        </button>
        {copied ? <span role="status">Copied.</span> : null}
      </div>
    </section>
  );
}
