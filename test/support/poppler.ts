import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Poppler's command-line tools (Debian poppler-utils; .ci/run installs it) on PDF bytes: what a
 * reader sees in a rendered PDF, judged by a PDF implementation other than the one that wrote it.
 */
const run = promisify(execFile);

async function withPdf<T>(pdf: Uint8Array, use: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "nexus-pdf-"));
  const file = join(dir, "doc.pdf");
  writeFileSync(file, pdf);
  try {
    return await use(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * pdftotext of the whole document, or of one page (1-based), as UTF-8. `raw`: in the order the
 * content stream draws it, rather than poppler's reading-order guess.
 */
export function pdfText(pdf: Uint8Array, page?: number, options: { raw?: boolean } = {}): Promise<string> {
  return withPdf(pdf, async (file) => {
    const range = page === undefined ? [] : ["-f", String(page), "-l", String(page)];
    const mode = options.raw ? ["-raw"] : [];
    const { stdout } = await run("pdftotext", ["-enc", "UTF-8", ...mode, ...range, file, "-"], {
      maxBuffer: 64 << 20,
    });
    return stdout;
  });
}

export interface PdfFont {
  name: string;
  type: string;
  embedded: boolean;
}

/** pdffonts: every font the document uses, with its type and whether it is embedded. */
export function pdfFonts(pdf: Uint8Array): Promise<PdfFont[]> {
  return withPdf(pdf, async (file) => {
    const { stdout } = await run("pdffonts", [file]);
    // Columns are fixed-width under a dashed rule; the name is the first field, emb/sub/uni are yes|no.
    return stdout
      .split("\n")
      .slice(2)
      .filter((line) => line.trim() !== "")
      .map((line) => {
        const match = /^(\S+)\s+(.+?)\s{2,}\S+\s+(yes|no)\s+(yes|no)\s+(yes|no)/.exec(line);
        if (!match) throw new Error(`unexpected pdffonts line: ${line}`);
        return { name: match[1]!, type: match[2]!.trim(), embedded: match[3] === "yes" };
      });
  });
}

/** pdfinfo's "Key: value" lines. */
export function pdfInfo(pdf: Uint8Array): Promise<Record<string, string>> {
  return withPdf(pdf, async (file) => {
    const { stdout } = await run("pdfinfo", ["-isodates", file]);
    const info: Record<string, string> = {};
    for (const line of stdout.split("\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) info[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
    return info;
  });
}

/** pdftoppm of one page to PNG bytes. */
export function pdfPagePng(pdf: Uint8Array, page: number, dpi: number): Promise<Uint8Array> {
  return withPdf(pdf, async (file, dir) => {
    await run("pdftoppm", [
      "-png",
      "-r",
      String(dpi),
      "-f",
      String(page),
      "-l",
      String(page),
      "-singlefile",
      file,
      join(dir, "page"),
    ]);
    return readFileSync(join(dir, "page.png"));
  });
}

export interface GrayImage {
  width: number;
  height: number;
  /** One byte per pixel, 0 black … 255 white, row by row from the top. */
  pixels: Uint8Array;
}

/** pdftoppm of one page to an 8-bit grayscale raster (PGM, parsed here). */
export function pdfPageGray(pdf: Uint8Array, page: number, dpi: number): Promise<GrayImage> {
  return withPdf(pdf, async (file, dir) => {
    await run("pdftoppm", [
      "-gray",
      "-r",
      String(dpi),
      "-f",
      String(page),
      "-l",
      String(page),
      "-singlefile",
      file,
      join(dir, "page"),
    ]);
    const pgm = readFileSync(join(dir, "page.pgm"));
    // Header: "P5" width height maxval, separated by whitespace, then one byte of whitespace.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString("latin1"));
    if (!header) throw new Error("pdftoppm did not write a binary PGM");
    const width = Number(header[1]);
    const height = Number(header[2]);
    return {
      width,
      height,
      pixels: new Uint8Array(pgm.subarray(header[0].length, header[0].length + width * height)),
    };
  });
}
