// What a lesson may share by default (RESOURCE_CONTENT_TYPES overrides it): documents, images,
// audio/video and Office files a tutor hands out; nothing a browser would run.
export const DEFAULT_RESOURCE_CONTENT_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
  'text/markdown',
  'audio/mpeg',
  'video/mp4',
  'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];
