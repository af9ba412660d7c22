// The media plane against a real mediasoup worker: transports on 127.0.0.1, producers/consumers
// by id, ownership checks, cleanup, and a worker killed with SIGKILL being replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMediaConfig, MediaError, MediaRoom, WorkerPool } from '../src/index.ts';
import { FAKE_DTLS, opusParameters } from './support/fake-peer.ts';

let pool: WorkerPool;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
});
afterAll(() => pool?.close());

const dtls = FAKE_DTLS;
const opusParams = opusParameters(11111111);
const vp8Params = {
  mid: '1',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }] }],
  headerExtensions: [],
  encodings: [{ ssrc: 22222222 }],
  rtcp: { cname: 'test' },
};

describe('MediaRoom', () => {
  it('creates transports on loopback, produces, consumes and cleans up', async () => {
    const room = await MediaRoom.create(pool, 'lesson-1');
    const send = await room.createTransport('tutor', 'send');
    const candidates = send.iceCandidates as { address: string; protocol: string }[];
    expect(candidates.map((c) => c.address)).toEqual(expect.arrayContaining(['127.0.0.1']));
    expect(new Set(candidates.map((c) => c.protocol))).toEqual(new Set(['udp', 'tcp']));
    await room.connectTransport('tutor', send.transportId, dtls);

    const added: string[] = [];
    room.on('producerAdded', (p) => added.push(`${p.peerId}:${p.source}`));
    const audioId = await room.produce('tutor', send.transportId, 'audio', opusParams, 'microphone');
    await room.produce('tutor', send.transportId, 'video', vp8Params, 'camera');
    expect(added).toEqual(['tutor:microphone', 'tutor:camera']);
    await expect(room.produce('tutor', send.transportId, 'audio', { ...opusParams, encodings: [{ ssrc: 3 }] }, 'microphone')).rejects.toThrow(/already producing/);

    // Another participant cannot use the tutor's transport.
    await expect(room.connectTransport('student', send.transportId, dtls)).rejects.toBeInstanceOf(MediaError);
    // Consuming needs a recv transport.
    await expect(room.consume('student', audioId, room.rtpCapabilities)).rejects.toThrow(/recv transport/);

    await room.createTransport('student', 'recv');
    const consumer = await room.consume('student', audioId, room.rtpCapabilities);
    expect(consumer).toMatchObject({ producerId: audioId, kind: 'audio', source: 'microphone' });
    await room.resumeConsumer('student', consumer.consumerId);
    expect(room.producersFor('student')).toHaveLength(2);
    expect(room.producersFor('tutor')).toHaveLength(0);
    expect(room.stats()).toMatchObject({ peers: 2, transports: 2, producers: 2, consumers: 1 });

    // Bad parameters from a client surface as MediaError, not a crash.
    await expect(room.produce('tutor', send.transportId, 'video', { codecs: 'nope' }, 'screen')).rejects.toBeInstanceOf(MediaError);
    // A codec of the other kind (the other browser would refuse the consumer's description).
    await expect(room.produce('tutor', send.transportId, 'video', { ...vp8Params, codecs: [opusParams.codecs[0]] }, 'screen')).rejects.toThrow(/only video\/\* codecs/);
    await expect(room.produce('tutor', send.transportId, 'video', { ...vp8Params, codecs: [{ ...vp8Params.codecs[0], mimeType: 'audio/red' }] }, 'screen')).rejects.toThrow(/only video/);

    room.removePeer('tutor');
    // The student's consumer closes when the worker reports its producer gone.
    await expect.poll(() => room.stats()).toMatchObject({ peers: 1, producers: 0, consumers: 0 });
    room.close();
    expect(room.closed).toBe(true);
    await expect(room.createTransport('tutor', 'send')).rejects.toThrow(/closed/);
  });

  it('replaces a worker killed with SIGKILL and reports its rooms as closed', async () => {
    const room = await MediaRoom.create(pool, 'lesson-2');
    const closed = new Promise((r) => room.once('closed', r));
    const replaced = new Promise<{ pid: number }>((r) => pool.once('workerReplaced', r));
    const oldPid = pool.workers()[0]!.worker.pid;
    process.kill(oldPid, 'SIGKILL');
    expect(await closed).toEqual({ reason: 'worker_died' });
    const { pid } = await replaced;
    expect(pid).not.toBe(oldPid);
    const fresh = await MediaRoom.create(pool, 'lesson-3');
    expect(fresh.stats().workerPid).toBe(pid);
    fresh.close();
  });
});
