// Load figures for placement (consumers, bitrate, CPU per worker), least-loaded placement across
// two real workers, ICE restart and producer close on the small media API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMediaConfig, MediaError, MediaRoom, WorkerPool } from '../src/index.ts';

let pool: WorkerPool;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '2', MEDIA_PORT_BASE: '0' }));
});
afterAll(() => pool?.close());

const opus = (ssrc: number) => ({
  mid: '0',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: 'load' },
});

describe('load figures and placement', () => {
  it('reports routers, transports, producers, consumers, bitrate and CPU per worker, and places by load', async () => {
    const a = await MediaRoom.create(pool, 'load-a');
    const send = await a.createTransport('tutor', 'send');
    const producerId = await a.produce('tutor', send.transportId, 'audio', opus(1234), 'microphone');
    await a.createTransport('student', 'recv');
    await a.consume('student', producerId, a.rtpCapabilities);

    const load = await pool.sample();
    expect(load).toHaveLength(2);
    const busy = load.find((w) => w.pid === a.workerPid)!;
    expect(busy).toMatchObject({ routers: 1, transports: 2, producers: 1, consumers: 1 });
    expect(busy.bitrateBps).toBeGreaterThanOrEqual(0);
    expect(busy.cpuPercent).toBeGreaterThanOrEqual(0);
    const idle = load.find((w) => w.pid !== a.workerPid)!;
    expect(idle).toMatchObject({ routers: 0, consumers: 0 });

    // The next lesson goes to the idle worker, and the one after that is balanced again.
    const b = await MediaRoom.create(pool, 'load-b');
    expect(b.workerPid).toBe(idle.pid);
    expect(pool.load().map((w) => w.routers).sort()).toEqual([1, 1]);
    a.close();
    b.close();
    expect(pool.load().every((w) => w.routers === 0 && w.consumers === 0)).toBe(true);
  });
});

describe('ICE restart and producer close', () => {
  it('gives new ICE credentials for a kept transport and closes a producer on request', async () => {
    const room = await MediaRoom.create(pool, 'ice');
    const t = await room.createTransport('tutor', 'send');
    const restarted = await room.restartIce('tutor', t.transportId);
    expect(restarted.usernameFragment).not.toBe(t.iceParameters.usernameFragment);
    await expect(room.restartIce('student', t.transportId)).rejects.toBeInstanceOf(MediaError);

    const closed: string[] = [];
    room.on('producerClosed', (p) => closed.push(p.source));
    const id = await room.produce('tutor', t.transportId, 'audio', opus(99), 'microphone');
    expect(() => room.closeProducer('student', id)).toThrow(MediaError);
    room.closeProducer('tutor', id);
    expect(closed).toEqual(['microphone']);
    expect(room.stats().producers).toBe(0);
    room.close();
  });
});
