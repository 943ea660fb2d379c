/** Structured log sink: one object per event; the caller decides where lines go (the CLI writes JSON to stderr). */
export type Log = (line: Record<string, unknown>) => void;

export const silentLog: Log = () => {};
