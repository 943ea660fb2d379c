const started = performance.now();

/**
 * Progress goes to stderr so stdout carries only the results table (`npm run bench > out.txt`
 * keeps the figures and still shows what is happening).
 */
export function progress(message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}
