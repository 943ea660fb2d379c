import {
  fill,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingGrayscaleColor,
} from "@cantoo/pdf-lib";
import encodeQR from "qr";

/**
 * Draws payload as a QR code whose lower-left corner is (x, y), `size` points wide including the
 * quiet zone (4 modules, as ISO 18004 asks). Dark modules become one filled path of rectangles,
 * a horizontal run of modules per rectangle: vector output, sharp at any zoom, small in the file.
 * Error correction "medium" (15 %), the usual choice for printed codes.
 */
export function drawQrCode(page: PDFPage, payload: string, x: number, y: number, size: number): void {
  const modules = encodeQR(payload, "raw", { ecc: "medium", border: 4 });
  const count = modules.length;
  const cell = size / count;
  const operators = [pushGraphicsState(), setFillingGrayscaleColor(0)];
  modules.forEach((row, r) => {
    const top = y + size - r * cell;
    let c = 0;
    while (c < count) {
      if (!row[c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < count && row[c]) c++;
      operators.push(rectangle(x + start * cell, top - cell, (c - start) * cell, cell));
    }
  });
  operators.push(fill(), popGraphicsState());
  page.pushOperators(...operators);
}
