import { progress } from "./progress";

interface Task {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/** One stuck step (a process that ignores SIGTERM, a hung DROP) must not keep the rest from running. */
const TASK_TIMEOUT_MS = 15_000;

/**
 * Everything the benchmark starts registers its undo here as soon as it exists, so a failure or
 * Ctrl-C at any point tears down exactly what was set up, newest first (workerd before the
 * gateway it talks to, the gateway before the database it holds connections to).
 */
export class Cleanup {
  readonly #tasks: Task[] = [];
  #running: Promise<void> | undefined;

  add(name: string, run: Task["run"]): void {
    this.#tasks.push({ name, run });
  }

  /** Idempotent: a signal arriving while the normal path is already cleaning up waits for it. */
  runAll(): Promise<void> {
    this.#running ??= this.#drain();
    return this.#running;
  }

  async #drain(): Promise<void> {
    for (let task = this.#tasks.pop(); task; task = this.#tasks.pop()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(task.run),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("timed out")), TASK_TIMEOUT_MS);
          }),
        ]);
        progress(`cleaned up: ${task.name}`);
      } catch (error) {
        progress(`cleanup of ${task.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
