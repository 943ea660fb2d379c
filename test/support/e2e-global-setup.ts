import type { TestProject } from "vitest/node";
import { startDevStack } from "./dev-stack-process";

/**
 * One two-region stack (the README's `npm run dev`) for every end-to-end test file.
 * NEXUS_E2E_PORT_OFFSET lets two checkouts run their e2e tests at once on one machine.
 */
export default async function setup(project: TestProject) {
  const portOffset = Number(process.env.NEXUS_E2E_PORT_OFFSET ?? 3000);
  // As the README runs it: the Workers' request lines are part of what is checked (residency).
  const stack = await startDevStack({ portOffset });
  project.provide("e2e", {
    eu: stack.eu,
    lagos: stack.lagos,
    gateways: stack.gateways,
    dataDir: stack.dataDir,
    output: stack.output.join("\n"),
    outputFile: stack.outputFile,
  });
  return () => stack.stop();
}
