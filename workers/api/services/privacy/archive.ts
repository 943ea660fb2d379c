import { storeNamed } from "./registry";
import type { RequestRow } from "./request-rows";
import type { StepRecord } from "./steps";

export const ARCHIVE_FORMAT = "nexus-privacy-export/1";

/** The archive's manifest.json: what was asked, what each file holds, where it came from. */
export function manifestOf(request: RequestRow, steps: readonly StepRecord[]) {
  return {
    format: ARCHIVE_FORMAT,
    request_id: request.id,
    tenant_id: request.tenant_id,
    subject: { type: request.subject_type, id: request.subject_id },
    created_at: request.created_at,
    files: steps.map((s) => ({
      path: `stores/${s.store}.json`,
      store: s.store,
      where: s.where,
      description: storeNamed(s.store)?.description ?? null,
      rows: s.rows ?? 0,
    })),
  };
}

const encoder = new TextEncoder();

/** A ustar header field: the text, NUL-padded to `length`. */
function field(target: Uint8Array, offset: number, length: number, value: string): void {
  target.set(encoder.encode(value).slice(0, length), offset);
}

const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, "0")}\0`;

/**
 * A POSIX ustar archive of small files (names under 100 bytes), the one a `tar -x` or any
 * archive library reads: 512-byte header, content padded to 512, two zero blocks at the end.
 */
export function tarArchive(files: readonly { name: string; body: string }[], mtime = Date.now()): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const file of files) {
    const content = encoder.encode(file.body);
    const header = new Uint8Array(512);
    field(header, 0, 100, file.name);
    field(header, 100, 8, octal(0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(content.length, 12));
    field(header, 136, 12, octal(Math.floor(mtime / 1000), 12));
    field(header, 148, 8, "        ");
    field(header, 156, 1, "0");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    field(header, 148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
    blocks.push(header, content, new Uint8Array((512 - (content.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of blocks) {
    out.set(b, offset);
    offset += b.length;
  }
  return out;
}
