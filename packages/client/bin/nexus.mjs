#!/usr/bin/env node
// The `nexus` command: runs the TypeScript sources through tsx (a dev dependency of this repository).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/bin.ts");
