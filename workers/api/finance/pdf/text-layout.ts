import {
  type Color,
  endMarkedContent,
  type PDFFont,
  PDFHexString,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  type PDFPage,
} from "@cantoo/pdf-lib";
import type { Font } from "@pdf-lib/fontkit";

/** One font at one size and colour: everything needed to measure and draw a string. */
export interface TextStyle {
  font: PDFFont;
  shaper: Font;
  size: number;
  color: Color;
}

/** Any combining mark: only strings with one need the positioned path of drawText. */
const COMBINING_MARK = /\p{M}/u;
/** Spaces extraction would turn into U+0020: no-break, narrow no-break, thin. */
const SPECIAL_SPACE = /[\u00a0\u2009\u202f]/u;
const WORD_SEPARATOR = /(\s+)/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Advance widths in font units, per face and string: wrapping measures every word, and pdf-lib
 * would shape the word again on each call. Invoices repeat their words (labels, amounts,
 * descriptions), so the cache lives as long as the isolate, bounded by a reset.
 */
const widthCache = new WeakMap<Font, Map<string, number>>();
const WIDTH_CACHE_LIMIT = 20_000;

/** As pdf-lib measures (the sum of glyph advances after shaping, no kerning), from a cache. */
export function textWidth(style: TextStyle, text: string): number {
  let widths = widthCache.get(style.shaper);
  if (!widths) {
    widths = new Map();
    widthCache.set(style.shaper, widths);
  }
  let units = widths.get(text);
  if (units === undefined) {
    units = 0;
    for (const glyph of style.shaper.layout(text).glyphs) units += glyph.advanceWidth;
    if (widths.size >= WIDTH_CACHE_LIMIT) widths.clear();
    widths.set(text, units);
  }
  return (units * style.size) / style.shaper.unitsPerEm;
}

/** Text as printed: NFC, tabs and other controls as spaces (the font has no glyph for them). */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.normalize("NFC").replace(/[\u0000-\u0008\u000b-\u001f\u007f\t]/g, " ");
}

/**
 * Breaks text into lines no wider than maxWidth: at spaces, at newlines, and inside a word only
 * when the word alone is too wide (between grapheme clusters, so a letter keeps its marks).
 */
export function wrapText(style: TextStyle, text: string, maxWidth: number): string[] {
  const lines: string[] = [];
  for (const paragraph of printable(text).split(/\r?\n/)) {
    let line = "";
    let lineWidth = 0;
    for (const piece of paragraph.split(WORD_SEPARATOR)) {
      if (piece === "") continue;
      const isSpace = /^\s+$/u.test(piece);
      const width = textWidth(style, piece);
      if (lineWidth + width <= maxWidth) {
        line += piece;
        lineWidth += width;
        continue;
      }
      if (isSpace) {
        // A break happens here: the space itself is not carried to the next line.
        lines.push(line.trimEnd());
        line = "";
        lineWidth = 0;
        continue;
      }
      if (line.trim() !== "") lines.push(line.trimEnd());
      line = "";
      lineWidth = 0;
      if (width <= maxWidth) {
        line = piece;
        lineWidth = width;
        continue;
      }
      for (const { segment } of graphemes.segment(piece)) {
        const segmentWidth = textWidth(style, segment);
        if (lineWidth + segmentWidth > maxWidth && line !== "") {
          lines.push(line);
          line = "";
          lineWidth = 0;
        }
        line += segment;
        lineWidth += segmentWidth;
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/**
 * Draws one line of text with its baseline at y. pdf-lib places every glyph at the pen using
 * advances only and ignores GPOS offsets, so a combining mark with no precomposed form (Yoruba
 * ọ̀, or any tone mark on a capital) lands at its default spot, inside a capital letter. For a
 * string with marks, the string is shaped here (fontkit reads the font's mark-to-base anchors) and
 * every glyph with an offset is drawn on its own at the position the font asks for; the rest is
 * drawn in runs.
 *
 * Such strings, and those with no-break spaces (U+00A0, U+202F: French amounts), are wrapped in a
 * marked-content span whose ActualText is the string itself: text extraction and copy then give
 * the string as written, not pieces split where a mark was moved, nor plain spaces.
 */
export function drawText(page: PDFPage, style: TextStyle, text: string, x: number, y: number): void {
  const options = { size: style.size, font: style.font, color: style.color };
  const hasMarks = COMBINING_MARK.test(text);
  if (!hasMarks && !SPECIAL_SPACE.test(text)) {
    page.drawText(text, { ...options, x, y });
    return;
  }
  page.pushOperators(
    PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [
      PDFName.of("Span"),
      `<< /ActualText ${PDFHexString.fromText(text).toString()} >>`,
    ]),
  );
  if (hasMarks) drawPositioned(page, style, text, x, y);
  else page.drawText(text, { ...options, x, y });
  page.pushOperators(endMarkedContent());
}

function drawPositioned(page: PDFPage, style: TextStyle, text: string, x: number, y: number): void {
  const options = { size: style.size, font: style.font, color: style.color };
  const run = style.shaper.layout(text);
  if (run.glyphs.some((glyph) => glyph.codePoints.length === 0)) {
    // A glyph the font made up (a decomposition): it cannot be named by a string, draw as is.
    page.drawText(text, { ...options, x, y });
    return;
  }
  const scale = style.size / style.shaper.unitsPerEm;
  let pen = x;
  let pending = "";
  let pendingX = x;
  const flush = () => {
    if (pending) page.drawText(pending, { ...options, x: pendingX, y });
    pending = "";
  };
  run.glyphs.forEach((glyph, i) => {
    const position = run.positions[i];
    const chars = String.fromCodePoint(...glyph.codePoints);
    if (!position || (position.xOffset === 0 && position.yOffset === 0)) {
      if (!pending) pendingX = pen;
      pending += chars;
    } else {
      flush();
      page.drawText(chars, {
        ...options,
        x: pen + position.xOffset * scale,
        y: y + position.yOffset * scale,
      });
    }
    pen += glyph.advanceWidth * scale;
  });
  flush();
}

export function drawTextRight(page: PDFPage, style: TextStyle, text: string, right: number, y: number): void {
  drawText(page, style, text, right - textWidth(style, text), y);
}

/** A style shrunk until text fits in maxWidth (amounts are never wrapped), down to minSize. */
export function fitted(style: TextStyle, text: string, maxWidth: number, minSize = 5): TextStyle {
  const width = textWidth(style, text);
  if (width <= maxWidth) return style;
  return { ...style, size: Math.max(minSize, (style.size * maxWidth) / width) };
}
