// Lesson resources: upload (multipart, limits, allow-list, sanitised names), list with signed URLs,
// streamed download with Range — on local storage and on a real S3-protocol server.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3TestServer } from '@duet/deploy/testing';
import { API_KEY, HOOK_SECRET, createLesson, mintToken, startApiOn, type DbKind, type TestApi } from './support/harness.ts';

const MATRIX: [DbKind, 'local' | 's3'][] = [
  ['pglite', 'local'],
  ['postgres', 'local'],
  ['pglite', 's3'],
  ['postgres', 's3'],
];
const MAX = 64 * 1024;

describe.each(MATRIX)('resources (%s database, %s storage)', (kind, storage) => {
  let api: TestApi;
  let s3: S3TestServer | undefined;
  beforeAll(async () => {
    const env: Record<string, string> = {
      RESOURCE_MAX_BYTES: String(MAX),
      RESOURCE_CONTENT_TYPES: 'application/pdf,text/plain,image/*',
      SIGNED_URL_TTL_SECONDS: '60',
    };
    if (storage === 's3') {
      s3 = await startS3Server();
      Object.assign(env, s3.env);
    }
    api = await startApiOn(kind, env);
    expect(api.server.app.hasRoute({ method: 'GET', url: '/v1/sessions/:id/resources' })).toBe(true);
  }, 90_000);
  afterAll(async () => {
    await api?.close();
    await s3?.stop();
  });

  const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  async function upload(sessionId: string, token: string | undefined, file: Buffer, filename: string, type: string, field = 'file') {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(file)], { type }), filename);
    const res = await fetch(`${api.url}/v1/sessions/${sessionId}/resources`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('lets the tutor upload, both participants list, and anyone with the signed URL download', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(40_000 - 9)]);
    const up = await upload(lesson.id, tutor, pdf, '../../etc/Übung 1 <final>.pdf', 'application/pdf');
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(up.body.resource).toMatchObject({
      filename: 'Übung 1 final.pdf',
      content_type: 'application/pdf',
      size_bytes: 40_000,
      uploaded_by: { role: 'tutor', user_id: lesson.tutor.id },
    });
    const rid = up.body.resource.id;

    // Stored under resources/sessions/<id>/… in the configured store.
    const keys = await api.server.sql<{ storage_key: string }[]>`select storage_key from resources where id = ${rid}`;
    expect(keys[0]!.storage_key).toMatch(new RegExp(`^resources/sessions/${lesson.id}/${rid}/Ubung_1_final\\.pdf$`));
    const [event] = await api.server.sql<{ data: any }[]>`select data from events where session_id = ${lesson.id} and type = 'resource.uploaded'`;
    expect(event!.data).toMatchObject({ resource_id: rid, filename: 'Übung 1 final.pdf', size_bytes: 40_000 });

    const list = await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: student });
    expect(list.status).toBe(200);
    expect(list.body.resources).toHaveLength(1);
    const { url } = list.body.resources[0];
    // Listed with a participant token: the URL is bound to that link (seat=role.iat.jti).
    expect(url).toMatch(/\/content\?exp=\d+&seat=(tutor|student)\.\d+\.[0-9a-f-]{36}&sig=[0-9a-f]{64}$/);

    // No headers needed; full download.
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('application/pdf');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-length')).toBe('40000');
    expect(full.headers.get('content-disposition')).toBe(`attachment; filename="_bung 1 final.pdf"; filename*=UTF-8''${encodeURIComponent('Übung 1 final.pdf')}`);
    expect(full.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(Buffer.from(await full.arrayBuffer()).equals(pdf)).toBe(true);

    // Ranges: a-b, a-, -n; unsatisfiable; ignored malformed.
    const range = async (r: string) => {
      const res = await fetch(url, { headers: { range: r } });
      return { status: res.status, cr: res.headers.get('content-range'), body: Buffer.from(await res.arrayBuffer()) };
    };
    expect(await range('bytes=0-99')).toEqual({ status: 206, cr: 'bytes 0-99/40000', body: pdf.subarray(0, 100) });
    expect(await range('bytes=39990-')).toEqual({ status: 206, cr: 'bytes 39990-39999/40000', body: pdf.subarray(39990) });
    expect(await range('bytes=-5')).toEqual({ status: 206, cr: 'bytes 39995-39999/40000', body: pdf.subarray(39995) });
    expect(await range('bytes=100-999999')).toMatchObject({ status: 206, cr: 'bytes 100-39999/40000' });
    const bad = await range('bytes=50000-');
    expect(bad.status).toBe(416);
    expect(bad.cr).toBe('bytes */40000');
    expect(JSON.parse(bad.body.toString()).error.code).toBe('range_not_satisfiable');
    expect((await range('items=1-2')).status).toBe(200);

    // Also with a token or the API key instead of the signature.
    const path = `/v1/sessions/${lesson.id}/resources/${rid}/content`;
    expect((await fetch(api.url + path, { headers: { authorization: `Bearer ${student}` } })).status).toBe(200);
    expect((await fetch(api.url + path, { method: 'HEAD', headers: { authorization: `Bearer ${API_KEY}` } })).headers.get('content-length')).toBe('40000');
  });

  it('refuses tampered, expired and foreign signed URLs', async () => {
    const lesson = await createLesson(api);
    const up = await upload(lesson.id, API_KEY, Buffer.from('hello'), 'a.txt', 'text/plain');
    expect(up.status).toBe(201);
    expect(up.body.resource.uploaded_by).toEqual({ role: 'service', user_id: null });
    const url = new URL(up.body.resource.url);
    const code = async (u: string) => (await (await fetch(u)).json() as any).error.code;
    const noSig = `${url.origin}${url.pathname}`;
    expect(await code(noSig)).toBe('url_signature_missing');
    const tampered = new URL(url);
    tampered.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 1000));
    expect(await code(tampered.toString())).toBe('url_signature_invalid');
    // The signature of one file does not open another.
    const other = await upload(lesson.id, API_KEY, Buffer.from('secret'), 'b.txt', 'text/plain');
    const otherUrl = new URL(other.body.resource.url);
    expect(await code(`${otherUrl.origin}${otherUrl.pathname}?${url.searchParams}`)).toBe('url_signature_invalid');
    expect((await fetch(url)).status).toBe(200);
  });

  it('enforces the size limit, the content-type allow-list, the uploader role and the form shape', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    const tooBig = await upload(lesson.id, tutor, Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(MAX + 1)]), 'big.pdf', 'application/pdf');
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toMatchObject({ code: 'file_too_large', max_bytes: MAX });
    const exact = await upload(lesson.id, tutor, Buffer.concat([PNG_MAGIC, randomBytes(MAX - PNG_MAGIC.length)]), 'exact.png', 'image/png');
    expect(exact.status).toBe(201);
    const exe = await upload(lesson.id, tutor, Buffer.from('MZ'), 'run.exe', 'application/x-msdownload');
    expect(exe.status).toBe(415);
    expect(exe.body.error.code).toBe('content_type_not_allowed');
    // An allowed claim whose content is something else: 415 content_type_mismatch, nothing stored.
    const before = (await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: API_KEY })).body.resources.length;
    const fakePdf = await upload(lesson.id, tutor, Buffer.from('MZ\x90\x00this is a program'), 'homework.pdf', 'application/pdf');
    expect(fakePdf.status).toBe(415);
    expect(fakePdf.body.error).toMatchObject({ code: 'content_type_mismatch', claimed: 'application/pdf' });
    const htmlAsPng = await upload(lesson.id, tutor, Buffer.from('<html><script>alert(1)</script></html>'), 'x.png', 'image/png');
    expect(htmlAsPng.body.error).toMatchObject({ code: 'content_type_mismatch', claimed: 'image/png', detected: 'text/plain' });
    const binaryAsText = await upload(lesson.id, tutor, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), 'a.txt', 'text/plain');
    expect(binaryAsText.body.error).toMatchObject({ code: 'content_type_mismatch', detected: null });
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: API_KEY })).body.resources).toHaveLength(before);
    expect((await upload(lesson.id, student, Buffer.from('x'), 'a.txt', 'text/plain')).body.error.code).toBe('tutor_only');
    expect((await upload(lesson.id, undefined, Buffer.from('x'), 'a.txt', 'text/plain')).status).toBe(401);
    expect((await upload(lesson.id, tutor, Buffer.from('x'), 'a.txt', 'text/plain', 'attachment')).body.error.code).toBe('file_missing');
    const json = await api.request('POST', `/v1/sessions/${lesson.id}/resources`, { token: tutor, body: { file: 'x' } });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('multipart_required');
    // Nothing but the one good file was kept, in the index or in storage.
    const list = await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: API_KEY });
    expect(list.body.resources.map((r: any) => r.filename)).toEqual(['exact.png']);
    const objects = await api.server.sql`select count(*)::int as n from resources where session_id = ${lesson.id}`;
    expect(objects[0]!.n).toBe(1);
  });

  it('deletes a resource (tutor or API key) from the index and the store', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const up = await upload(lesson.id, tutor, Buffer.from('bye'), 'bye.txt', 'text/plain');
    const rid = up.body.resource.id;
    const student = await mintToken(api, lesson.id, 'student');
    expect((await api.request('DELETE', `/v1/sessions/${lesson.id}/resources/${rid}`, { token: student })).status).toBe(403);
    expect((await api.request('DELETE', `/v1/sessions/${lesson.id}/resources/${rid}`, { token: tutor })).status).toBe(204);
    expect((await fetch(up.body.resource.url)).status).toBe(404);
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: tutor })).body.resources).toEqual([]);
    void HOOK_SECRET;
  });
});
