import { type PDFDocument, type PDFFont, PDFHexString } from "@cantoo/pdf-lib";
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
  /** Drawn string → its glyph ids as pdf-lib encodes them (hex, 4 digits a glyph). */
  encodings: Map<string, string>;
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
/** How pdf-lib's ToUnicode CMaps begin (core/embedders/CMap.ts). */
const CMAP_START = "/CIDInit /ProcSet findresource begin";
/** ToUnicode CMap text → its zlib stream: one per face while the faces stay the same. */
const compressedCmaps = new Map<string, Uint8Array>();

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
  // pdf-lib compresses the whole font file, and a ToUnicode map of every glyph in it, into every
  // document it saves; both are the same each time, so give it the streams compressed once.
  // Anything else (content streams, object streams) goes through pdf-lib's own path.
  const context = doc.context;
  const flateStream = context.flateStream.bind(context);
  context.flateStream = (contents, dict = {}) => {
    let ready = contents instanceof Uint8Array ? compressed.get(contents) : undefined;
    if (typeof contents === "string" && contents.startsWith(CMAP_START)) {
      ready = compressedCmaps.get(contents);
      if (!ready) {
        const stream = flateStream(contents, dict);
        if (compressedCmaps.size >= 8) compressedCmaps.clear();
        compressedCmaps.set(contents, stream.getContents());
        return stream;
      }
    }
    return ready ? context.stream(ready, { ...dict, Filter: "FlateDecode" }) : flateStream(contents, dict);
  };
  // subset: false: the files are already subset, and pdf-lib's subsetter loses glyphs.
  return {
    regular: withEncodingCache(
      await doc.embedFont(regular.bytes, { subset: false, customName: regular.name }),
      regular,
    ),
    bold: withEncodingCache(await doc.embedFont(bold.bytes, { subset: false, customName: bold.name }), bold),
    faces: { regular, bold },
  };
}

/**
 * pdf-lib shapes every string it draws to find its glyph ids (most of a render's time); the ids of
 * a string in a face never change, and invoices repeat their strings, so they are kept per face
 * for the isolate's life, bounded by a reset. Glyph ids are all a drawn string adds to the PDF
 * here: the whole font is embedded, so its widths and ToUnicode map do not depend on what is drawn.
 */
const ENCODING_CACHE_LIMIT = 20_000;

function withEncodingCache(font: PDFFont, face: InvoiceFace): PDFFont {
  const encode = font.encodeText.bind(font);
  font.encodeText = (text: string) => {
    let hex = face.encodings.get(text);
    if (hex === undefined) {
      hex = encode(text).asString();
      if (face.encodings.size >= ENCODING_CACHE_LIMIT) face.encodings.clear();
      face.encodings.set(text, hex);
    }
    return PDFHexString.of(hex);
  };
  return font;
}

function face(name: string, base64: string): InvoiceFace {
  const bytes = decodeBase64(base64);
  return { name, bytes, shaper: fontkit.create(bytes), zlib: zlib(bytes), encodings: new Map() };
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
