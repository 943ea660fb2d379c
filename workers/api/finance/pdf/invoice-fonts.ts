import type { PDFDocument, PDFFont } from "@cantoo/pdf-lib";
import fontkit, { type Font } from "@pdf-lib/fontkit";
import { notoSansBoldBase64 } from "./fonts/notosans-bold";
import { notoSansRegularBase64 } from "./fonts/notosans-regular";

/**
 * The two faces every invoice embeds: Noto Sans Regular and Bold, pre-subset at build time
 * (scripts/build-invoice-fonts.sh) because pdf-lib's own subsetting drops glyphs. They ship as
 * base64 modules so esbuild, Vite and Node all bundle them without a loader rule.
 *
 * Decoding, parsing and compressing a face is most of a one-page render's work and gives the same
 * result every time, so it happens once per isolate: the parsed fontkit font is handed to pdf-lib
 * (and used for shaping, text-layout.ts), and the font file's zlib stream is reused.
 */
export interface InvoiceFace {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  shaper: Font;
  /** The font file as pdf-lib would compress it for /FontFile2 (zlib, RFC 1950). */
  zlib: Promise<Uint8Array>;
}

export interface InvoiceFaces {
  regular: InvoiceFace;
  bold: InvoiceFace;
}

export interface EmbeddedInvoiceFonts {
  regular: PDFFont;
  bold: PDFFont;
  faces: InvoiceFaces;
}

let faces: InvoiceFaces | undefined;

export function invoiceFaces(): InvoiceFaces {
  faces ??= {
    regular: face("NotoSans-Regular", notoSansRegularBase64),
    bold: face("NotoSans-Bold", notoSansBoldBase64),
  };
  return faces;
}

export async function embedInvoiceFonts(doc: PDFDocument): Promise<EmbeddedInvoiceFonts> {
  const { regular, bold } = invoiceFaces();
  const byBytes = new Map<Uint8Array, InvoiceFace>([
    [regular.bytes, regular],
    [bold.bytes, bold],
  ]);
  // pdf-lib asks its registered fontkit to parse the bytes it is given: answer with the parsed face.
  doc.registerFontkit({
    create: (bytes: Uint8Array) => byBytes.get(bytes)?.shaper ?? fontkit.create(bytes),
  } as unknown as Parameters<PDFDocument["registerFontkit"]>[0]);
  const compressed = new Map<Uint8Array, Uint8Array>([
    [regular.bytes, await regular.zlib],
    [bold.bytes, await bold.zlib],
  ]);
  // pdf-lib compresses the whole font file into every document it saves; give it the stream
  // compressed once. Anything else (content streams, cmaps) goes through pdf-lib's own path.
  const context = doc.context;
  const flateStream = context.flateStream.bind(context);
  context.flateStream = (contents, dict = {}) => {
    const ready = contents instanceof Uint8Array ? compressed.get(contents) : undefined;
    return ready ? context.stream(ready, { ...dict, Filter: "FlateDecode" }) : flateStream(contents, dict);
  };
  // subset: false: the files are already subset, and pdf-lib's subsetter loses glyphs.
  return {
    regular: await doc.embedFont(regular.bytes, { subset: false, customName: regular.name }),
    bold: await doc.embedFont(bold.bytes, { subset: false, customName: bold.name }),
    faces: { regular, bold },
  };
}

function face(name: string, base64: string): InvoiceFace {
  const bytes = decodeBase64(base64);
  return { name, bytes, shaper: fontkit.create(bytes), zlib: zlib(bytes) };
}

async function zlib(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
