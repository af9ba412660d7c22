// Filenames from uploads: what people see (Unicode kept, paths, control and reserved characters
// removed) and a storage-safe ASCII form for object keys.
const MAX_LENGTH = 200;

export function sanitizeFilename(raw: string | undefined): string {
  let name = (raw ?? '').normalize('NFC');
  name = name.split(/[/\\]/).pop() ?? ''; // a path is never kept: "../../etc/passwd" -> "passwd"
  name = name.replace(/[\u0000-\u001f\u007f-\u009f"<>:|?*\u202a-\u202e\u2066-\u2069]/g, '');
  name = name.replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  if (name.length > MAX_LENGTH) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, MAX_LENGTH - ext.length) + ext;
  }
  return name === '' ? 'file' : name;
}

/** [A-Za-z0-9._-] only, for the object key. */
export function keySafeFilename(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100);
  return ascii === '' || ascii === '.' || ascii === '..' ? 'file' : ascii;
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(name: string, kind: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
