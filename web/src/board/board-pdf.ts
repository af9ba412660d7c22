// PDF worksheets: the tutor's browser renders each page of an uploaded PDF (pdfjs-dist, bundled
// with its worker by the web build, nothing from a CDN) to a PNG, and those images go into the
// lesson's resources like image worksheets (the API checks each one's type and the quota). The
// PDF itself never leaves the tutor's browser. Bounds: the file's size, the page count, and each
// page's pixels (the longer side at most RENDER_SIDE), so a hostile PDF cannot make the tutor's
// tab (or the lesson's storage) pay for a thousand pages or a huge bitmap. The type is read from
// the content (%PDF- within the first KiB, as readers accept), never from the name or MIME type.
import { getDocument, GlobalWorkerOptions } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

export const MAX_PDF_BYTES = 20 * 1024 * 1024;
export const MAX_PDF_PAGES = 20;
const RENDER_SIDE = 2000;

export type PdfErrorCode = 'pdf_too_large' | 'pdf_invalid' | 'pdf_too_many_pages' | 'pdf_empty';

export class PdfWorksheetError extends Error {
  readonly code: PdfErrorCode;
  constructor(code: PdfErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Whether the bytes start like a PDF (the header may follow up to 1 KiB of junk, as readers allow). */
export function looksLikePdf(head: Uint8Array): boolean {
  const text = new TextDecoder('latin1').decode(head.subarray(0, 1024));
  return text.includes('%PDF-');
}

export async function isPdf(file: Blob): Promise<boolean> {
  return looksLikePdf(new Uint8Array(await file.slice(0, 1024).arrayBuffer()));
}

const pngOf = (canvas: HTMLCanvasElement) =>
  new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas export failed'))), 'image/png'));

/** Each page of the PDF as a PNG file named after the PDF, in order. */
export async function pdfPages(file: File): Promise<File[]> {
  if (file.size > MAX_PDF_BYTES) throw new PdfWorksheetError('pdf_too_large', `the PDF is ${file.size} bytes, over ${MAX_PDF_BYTES}`);
  if (!(await isPdf(file))) throw new PdfWorksheetError('pdf_invalid', 'not a PDF (no %PDF- header)');
  GlobalWorkerOptions.workerSrc = workerUrl;
  const task = getDocument({ data: new Uint8Array(await file.arrayBuffer()), enableXfa: false, stopAtErrors: true });
  let pdf;
  try {
    pdf = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    throw new PdfWorksheetError('pdf_invalid', `the PDF could not be read: ${(err as Error).message}`);
  }
  try {
    if (pdf.numPages < 1) throw new PdfWorksheetError('pdf_empty', 'the PDF has no pages');
    if (pdf.numPages > MAX_PDF_PAGES) throw new PdfWorksheetError('pdf_too_many_pages', `the PDF has ${pdf.numPages} pages, over ${MAX_PDF_PAGES}`);
    const base = file.name.replace(/\.pdf$/i, '').replace(/[^\w.-]+/g, '-').slice(0, 60) || 'worksheet';
    const out: File[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const unit = page.getViewport({ scale: 1 });
      const scale = Math.min(4, RENDER_SIDE / Math.max(unit.width, unit.height, 1));
      const viewport = page.getViewport({ scale });
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.floor(viewport.width));
      canvas.height = Math.max(1, Math.floor(viewport.height));
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      try {
        await page.render({ canvas, canvasContext: ctx, viewport }).promise;
      } catch (err) {
        throw new PdfWorksheetError('pdf_invalid', `page ${n} could not be drawn: ${(err as Error).message}`);
      }
      out.push(new File([await pngOf(canvas)], `${base}-page-${n}.png`, { type: 'image/png' }));
      page.cleanup();
    }
    return out;
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
