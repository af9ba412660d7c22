// Worksheets: an image the tutor uploads becomes a page's background. The file goes into the
// lesson's resources (the API checks its type from its content and bounds its size); the doc
// only names the resource id (`meta.bg:<page>`), so the board's size budget is not spent on
// pixels. Each side fetches the image through its own lesson access and decodes it once,
// bounded to MAX_SIDE pixels on its longer side.
import type { Resource } from '../lib/lesson-api.ts';

export interface BoardFiles {
  upload(file: File): Promise<Resource>;
  resources(): Promise<Resource[]>;
}

export const WORKSHEET_TYPES = 'image/png,image/jpeg,image/webp,image/gif,application/pdf,.pdf';
const MAX_SIDE = 3200;

export class Worksheets {
  private readonly files: BoardFiles;
  private readonly cache = new Map<string, Promise<ImageBitmap | null>>();

  constructor(files: BoardFiles) {
    this.files = files;
  }

  /** The decoded image of resource `id` (null when it is gone or not an image). */
  image(id: string): Promise<ImageBitmap | null> {
    let p = this.cache.get(id);
    if (!p) {
      p = this.load(id).catch(() => null);
      this.cache.set(id, p);
    }
    return p;
  }

  private async load(id: string): Promise<ImageBitmap | null> {
    const resource = (await this.files.resources()).find((r) => r.id === id);
    if (!resource || !resource.content_type.startsWith('image/')) return null;
    const res = await fetch(resource.url);
    if (!res.ok) return null;
    const blob = await res.blob();
    const bitmap = await createImageBitmap(blob);
    const { width, height } = bitmap;
    const k = Math.min(1, MAX_SIDE / Math.max(width, height));
    if (k >= 1) return bitmap;
    bitmap.close();
    return createImageBitmap(blob, { resizeWidth: Math.round(width * k), resizeHeight: Math.round(height * k) });
  }

  async add(file: File): Promise<string> {
    return (await this.files.upload(file)).id;
  }

  /**
   * A worksheet file as page backgrounds: an image is one page; a PDF (told from its content) is
   * rendered page by page in this browser (board-pdf.ts, loaded only then) and each page
   * uploaded as an image. Returns the resource ids in page order.
   */
  async addFile(file: File): Promise<string[]> {
    const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
    if (!new TextDecoder('latin1').decode(head).includes('%PDF-')) return [await this.add(file)];
    const { pdfPages } = await import('./board-pdf.ts');
    const ids: string[] = [];
    for (const page of await pdfPages(file)) ids.push(await this.add(page));
    return ids;
  }
}
