import { defineConfig } from "vitest/config";

// One run, several projects: each kind of test runs where it belongs.
// `worker` runs inside workerd (see test/worker/vitest.config.ts); the rest run in Node 22
// against the real Postgres, Redis and the local two-region stack.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "gateway",
          include: ["test/gateway/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "upstash",
          include: ["test/upstash/**/*.test.ts"],
          environment: "node",
          testTimeout: 15_000,
        },
      },
      {
        // The payment-provider stand-in, driven by the official stripe package and plain HTTP.
        test: {
          name: "providers",
          include: ["test/providers/**/*.test.ts"],
          environment: "node",
          testTimeout: 15_000,
        },
      },
      {
        // The outbox relay against nats-server processes the tests start (never the machine's :4222).
        test: {
          name: "relay",
          include: ["test/relay/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      "test/worker/vitest.config.ts",
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/e2e-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
      {
        // Processes killed on purpose: the built Worker on workerd directly (bench/lib/bench-stack.ts).
        test: {
          name: "crash",
          include: ["test/crash/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        // Traces across two regions on workerd, the gateway and Postgres (bench/lib/bench-stack.ts).
        test: {
          name: "observability",
          include: ["test/observability/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: "build",
          include: ["test/build/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
    ],
  },
});
