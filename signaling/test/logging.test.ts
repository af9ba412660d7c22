// The media node's logs: pino JSON lines with the lesson, seat, connection and request as
// bindings, and no credential ever written — not the join token a participant presents, not its
// resume token, not the node's secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog } from '../src/index.ts';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';

let stack: NodeStack;
const lines: string[] = [];
const log = createLog({ level: 'debug', stream: { write: (line: string) => void lines.push(line) } });

beforeAll(async () => {
  stack = await startNodeStack({}, log);
});
afterAll(async () => {
  await stack?.stop();
});

const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('signaling logs', () => {
  it('bind session_id, role, user_id, conn_id and request_id, and never contain a token or secret', async () => {
    const lesson = await stack.lesson();
    const tutor = await TestClient.open(stack.wsUrl, 'json');
    const hello = await tutor.request('hello', { v: 1, token: lesson.tutorToken });
    expect(hello).toMatchObject({ ok: true });
    const resumeToken = (hello as { data: { resumeToken: string } }).data.resumeToken;
    // A refused request (SFU call in a waiting P2P room) is logged at debug with its request id.
    const refused = await tutor.request('sfu.capabilities');
    expect(refused).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
    // A bad hello on another socket: the token it carried is not logged either.
    const stranger = await TestClient.open(stack.wsUrl, 'json');
    const forged = `${lesson.studentToken.slice(0, -4)}AAAA`;
    expect(await stranger.request('hello', { v: 1, token: forged })).toMatchObject({ ok: false });
    stranger.close();
    tutor.close();

    const joined = await tutor.until(() => records().find((r) => r.msg === 'participant joined'));
    expect(joined).toMatchObject({ level: 30, service: 'signaling', session_id: lesson.id, role: 'tutor', mode: 'waiting', resumed: false });
    expect(typeof joined.user_id).toBe('string');
    expect(typeof joined.conn_id).toBe('string');
    expect(typeof joined.time).toBe('string');
    const refusedLine = records().find((r) => r.msg === 'request refused');
    expect(refusedLine).toMatchObject({ level: 20, session_id: lesson.id, role: 'tutor', conn_id: joined.conn_id, type: 'sfu.capabilities', code: 'wrong_mode' });
    expect(typeof refusedLine!.request_id).toBe('number');
    await tutor.until(() => records().find((r) => r.msg === 'participant disconnected' && r.conn_id === joined.conn_id));

    const all = lines.join('');
    for (const secret of [lesson.tutorToken, lesson.studentToken, forged, resumeToken, stack.env.JOIN_TOKEN_SECRET!, stack.env.INTERNAL_HOOK_SECRET!]) {
      expect(all).not.toContain(secret);
    }
  });

  it('redacts credentials wherever a field carries one', () => {
    const out: string[] = [];
    const l = createLog({ stream: { write: (line: string) => void out.push(line) } }).child({ session_id: 's1' });
    l.info({ token: 'tok-123', hello: { token: 'tok-456', resume: 'res-789' }, secret: 'sec', ice: { credential: 'cred' }, headers: { authorization: 'Bearer x' } }, 'with credentials');
    const line = out.join('');
    for (const s of ['tok-123', 'tok-456', 'res-789', '"sec"', 'cred"', 'Bearer x']) expect(line).not.toContain(s);
    expect(JSON.parse(line)).toMatchObject({ session_id: 's1', token: '[redacted]', hello: { token: '[redacted]', resume: '[redacted]' }, msg: 'with credentials' });
  });
});
