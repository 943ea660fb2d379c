import { useEffect, useState } from "preact/hooks";

/**
 * Screens are addressed by the URL fragment (`/console/#/contacts`): the Worker's static assets
 * serve one index.html, and no path needs a server-side fallback.
 */
export function useRoute(): string {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("?")[0] || "overview";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    // Only `#/…` names a screen; any other fragment leaves the screen as it is.
    const onChange = () => {
      if (window.location.hash === "" || window.location.hash.startsWith("#/")) setRoute(read());
    };
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
