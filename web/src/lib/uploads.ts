// Sharing files: one upload loop for the room and the post-session screen, with the API's refusals
// (too large, a type that is not allowed, content that does not match its type) in plain words.
import { t } from '../i18n/i18n.ts';
import { ApiError } from './api.ts';
import type { LessonApi } from './lesson-api.ts';

export interface UploadState {
  state: 'idle' | 'uploading' | 'done' | 'error';
  message?: string;
}

export function uploadError(err: unknown): string {
  if (!(err instanceof ApiError)) return t('upload.failed_network');
  if (err.status === 413) return t('upload.too_large');
  if (err.code === 'content_type_mismatch') return t('upload.mismatch');
  if (err.status === 415) return t('upload.type_not_allowed');
  if (err.status === 403) return t('upload.tutor_only');
  return err.message || t('upload.failed');
}

/** Uploads each file in turn; reports progress and the outcome through `set`. */
export async function uploadFiles(api: LessonApi, files: File[], set: (s: UploadState) => void): Promise<boolean> {
  if (!files.length) return false;
  set({ state: 'uploading', message: files.length === 1 ? files[0]!.name : t('upload.n_files', { n: files.length }) });
  try {
    for (const f of files) await api.upload(f);
    set({ state: 'done', message: files.length === 1 ? t('upload.one_done', { name: files[0]!.name }) : t('upload.n_done', { n: files.length }) });
    return true;
  } catch (err) {
    set({ state: 'error', message: uploadError(err) });
    return false;
  }
}
