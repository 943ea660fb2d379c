import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

// The console is built into the Worker's static assets (public/console), served at /console/
// with the CSP of public/_headers: one script file and one style sheet, nothing inline, nothing
// from another origin (no module-preload polyfill, no inlined assets).
export default defineConfig({
  root,
  base: "/console/",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../public/console", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
