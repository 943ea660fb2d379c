import type { TestProject } from "vitest/node";
import { startDevStack } from "./dev-stack-process";

/** One two-region stack (the README's `npm run dev`) for every end-to-end test file. */
export default async function setup(project: TestProject) {
  const stack = await startDevStack({ portOffset: 3000, extraArgs: ["--quiet-workers"] });
  project.provide("e2e", {
    eu: stack.eu,
    lagos: stack.lagos,
    gateways: stack.gateways,
    dataDir: stack.dataDir,
    output: stack.output.join("\n"),
  });
  return () => stack.stop();
}
