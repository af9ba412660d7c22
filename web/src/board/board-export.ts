// Export: every page of the board rendered at full page size (PAGE_W × PAGE_H) to a PNG, plus one
// PDF holding all pages (each page a JPEG image, DCTDecode, so the PDF needs no compressor). The
// files go to the lesson's resources through the room's normal upload (the API checks the type
// from the content).
import type * as Y from 'yjs';
import { PAGE_H, PAGE_W, pageCount, pageItems } from './board-doc.ts';
import { drawPage } from './board-render.ts';

function render(doc: Y.Doc, page: number, background: ImageBitmap | null): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = PAGE_W;
  canvas.height = PAGE_H;
  drawPage(canvas.getContext('2d')!, pageItems(doc, page).toArray(), { scale: 1, panX: 0, panY: 0 }, 1, PAGE_W, PAGE_H, null, background);
  return canvas;
}

const blobOf = (canvas: HTMLCanvasElement, type: string, quality?: number) =>
  new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas export failed'))), type, quality));

/** A PDF whose pages are the given JPEGs (PAGE_W × PAGE_H pixels, shown at 72 dpi). */
export function pdfOfJpegs(jpegs: Uint8Array[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const offsets: number[] = [];
  let size = 0;
  const push = (b: Uint8Array | string) => {
    const bytes = typeof b === 'string' ? enc.encode(b) : b;
    chunks.push(bytes);
    size += bytes.length;
  };
  const n = jpegs.length;
  // Objects: 1 catalog, 2 pages, then per page: page, content, image.
  const obj = (id: number, body: string | (() => void)) => {
    offsets[id] = size;
    push(`${id} 0 obj\n`);
    if (typeof body === 'string') push(body);
    else body();
    push('\nendobj\n');
  };
  push('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  obj(2, `<< /Type /Pages /Count ${n} /Kids [${jpegs.map((_, i) => `${3 + i * 3} 0 R`).join(' ')}] >>`);
  jpegs.forEach((jpeg, i) => {
    const [page, content, image] = [3 + i * 3, 4 + i * 3, 5 + i * 3];
    const draw = `q ${PAGE_W} 0 0 ${PAGE_H} 0 0 cm /Im0 Do Q`;
    obj(page, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Resources << /XObject << /Im0 ${image} 0 R >> >> /Contents ${content} 0 R >>`);
    obj(content, `<< /Length ${draw.length} >>\nstream\n${draw}\nendstream`);
    obj(image, () => {
      push(`<< /Type /XObject /Subtype /Image /Width ${PAGE_W} /Height ${PAGE_H} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`);
      push(jpeg);
      push('\nendstream');
    });
  });
  const xref = size;
  const total = 3 + n * 3;
  push(`xref\n0 ${total}\n0000000000 65535 f \n`);
  for (let id = 1; id < total; id++) push(`${String(offsets[id]).padStart(10, '0')} 00000 n \n`);
  push(`trailer\n<< /Size ${total} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The board as files: whiteboard-page-<n>.png for each page, and whiteboard.pdf. */
export async function exportBoard(doc: Y.Doc, background: (page: number) => Promise<ImageBitmap | null>, stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')): Promise<File[]> {
  const files: File[] = [];
  const jpegs: Uint8Array[] = [];
  for (let p = 1; p <= pageCount(doc); p++) {
    const canvas = render(doc, p, await background(p).catch(() => null));
    files.push(new File([await blobOf(canvas, 'image/png')], `whiteboard-${stamp}-page-${p}.png`, { type: 'image/png' }));
    jpegs.push(new Uint8Array(await (await blobOf(canvas, 'image/jpeg', 0.9)).arrayBuffer()));
  }
  files.push(new File([pdfOfJpegs(jpegs) as Uint8Array<ArrayBuffer>], `whiteboard-${stamp}.pdf`, { type: 'application/pdf' }));
  return files;
}
