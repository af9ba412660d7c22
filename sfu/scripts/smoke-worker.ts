// sfu/scripts/smoke-worker.ts - smoke check of a mediasoup-worker binary.
//
//   MEDIASOUP_WORKER_BIN=/path/to/mediasoup-worker node sfu/scripts/smoke-worker.ts
//
// Runs on Node 24 type stripping (erasable TS only). Loopback only: works both
// inside and outside a lo-only network namespace.
//
// Steps: createWorker -> createRouter (Opus + VP8) -> createWebRtcServer on
// 127.0.0.1 (UDP + TCP, ephemeral ports) -> createWebRtcTransport on it ->
// ICE + DTLS start -> close everything. Prints "OK ..." on success; any failure
// prints the error and exits non-zero.
//
// The ICE/DTLS step matters: a worker built against Debian's KTLS-enabled
// OpenSSL without the DtlsTransport BIO-callback patch passes every API call
// above and only crashes when it writes its first DTLS record. So this script
// acts as an ICE-controlling peer (one authenticated STUN Binding request with
// USE-CANDIDATE over UDP), tells the transport that the remote DTLS role is
// "server" (so the worker becomes DTLS client), and waits until the worker has
// actually sent a DTLS handshake record (ClientHello) and is still alive.

import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { crc32 } from 'node:zlib';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';

const TIMEOUT_MS = 10_000;

function step(msg: string): void {
  process.stderr.write(`[smoke-worker] ${msg}\n`);
}

function withTimeout<T>(p: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// --- minimal STUN (RFC 5389 / RFC 8445) Binding request ---------------------
const MAGIC_COOKIE = 0x2112a442;

function stunAttr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function stunBindingRequest(username: string, password: string): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0); // Binding request
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  randomBytes(12).copy(header, 8);

  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  let body = Buffer.concat([
    stunAttr(0x0006, Buffer.from(username, 'utf8')), // USERNAME
    stunAttr(0x0024, priority), // PRIORITY
    stunAttr(0x802a, randomBytes(8)), // ICE-CONTROLLING (tie-breaker)
    stunAttr(0x0025, Buffer.alloc(0)), // USE-CANDIDATE
  ]);

  // MESSAGE-INTEGRITY: HMAC-SHA1 over the message, length counting the MI attr.
  header.writeUInt16BE(body.length + 24, 2);
  const mi = createHmac('sha1', password).update(Buffer.concat([header, body])).digest();
  body = Buffer.concat([body, stunAttr(0x0008, mi)]);

  // FINGERPRINT: CRC-32 of the message (length counting it) XOR 0x5354554e.
  header.writeUInt16BE(body.length + 8, 2);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(Buffer.concat([header, body])) ^ 0x5354554e) >>> 0, 0);
  body = Buffer.concat([body, stunAttr(0x8028, fp)]);

  return Buffer.concat([header, body]);
}

// --- the check ---------------------------------------------------------------
async function main(): Promise<void> {
  const workerBin = process.env['MEDIASOUP_WORKER_BIN'];
  if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set');
  step(`mediasoup ${mediasoup.version}, worker binary ${workerBin}`);

  let worker: types.Worker | undefined;
  let workerDied: Error | undefined;
  const sock = createSocket('udp4');
  try {
    worker = await withTimeout(mediasoup.createWorker({ logLevel: 'warn' }), 'createWorker');
    let rejectOnDeath: (err: Error) => void = () => {};
    const death = new Promise<never>((_, reject) => {
      rejectOnDeath = reject;
    });
    death.catch(() => {}); // only observed through Promise.race below
    worker.on('died', (err: Error) => {
      workerDied = err;
      rejectOnDeath(new Error(`worker died: ${err.message}`));
    });
    step(`worker pid ${worker.pid}`);

    const router = await withTimeout(
      worker.createRouter({
        mediaCodecs: [
          { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
          { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
        ],
      }),
      'createRouter',
    );
    const codecs = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
    if (!codecs.includes('audio/opus') || !codecs.includes('video/VP8')) {
      throw new Error(`router codecs missing Opus/VP8: ${codecs.join(', ')}`);
    }
    step(`router ok (${codecs.join(', ')})`);

    const server = await withTimeout(
      worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: '127.0.0.1', port: 0 },
          { protocol: 'tcp', ip: '127.0.0.1', port: 0 },
        ],
      }),
      'createWebRtcServer',
    );
    const sdump = await server.dump();
    const udp = sdump.udpSockets[0];
    const tcp = sdump.tcpServers[0];
    if (!udp || !tcp) throw new Error(`WebRtcServer lacks UDP or TCP socket: ${JSON.stringify(sdump)}`);
    step(`webrtc server udp ${udp.ip}:${udp.port}, tcp ${tcp.ip}:${tcp.port}`);

    const transport = await withTimeout(
      router.createWebRtcTransport({ webRtcServer: server, enableUdp: true, enableTcp: true }),
      'createWebRtcTransport',
    );
    const protos = transport.iceCandidates.map((c) => `${c.protocol}:${c.address}:${c.port}`);
    if (!transport.iceCandidates.some((c) => c.protocol === 'udp' && c.address === '127.0.0.1')) {
      throw new Error(`no UDP 127.0.0.1 candidate: ${protos.join(' ')}`);
    }
    step(`webrtc transport ok (candidates ${protos.join(' ')})`);

    // ICE + start of DTLS (the worker becomes DTLS client and sends ClientHello).
    const dtlsRecord = new Promise<Buffer>((resolve) => {
      sock.on('message', (msg: Buffer) => {
        // RFC 7983 demux: 20..63 = DTLS; 22 = handshake content type.
        if (msg.length > 13 && msg[0] === 22) resolve(msg);
      });
    });
    const stunResponse = new Promise<Buffer>((resolve, reject) => {
      sock.on('message', (msg: Buffer) => {
        if (msg.length < 20 || msg[0]! > 3) return;
        const type = msg.readUInt16BE(0);
        if (type === 0x0101) resolve(msg);
        else if (type === 0x0111) reject(new Error(`STUN error response from worker: ${msg.subarray(20).toString('latin1')}`));
      });
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));

    const dtlsStates: string[] = [];
    transport.on('dtlsstatechange', (s: types.DtlsState) => dtlsStates.push(s));
    await transport.connect({
      dtlsParameters: {
        role: 'server',
        fingerprints: [{ algorithm: 'sha-256', value: Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':') }],
      },
    });

    const { usernameFragment, password } = transport.iceParameters;
    sock.send(stunBindingRequest(`${usernameFragment}:smoke`, password), udp.port, udp.ip);
    await withTimeout(Promise.race([stunResponse, death]), 'STUN Binding success response');
    step('ICE ok (authenticated STUN Binding request answered)');

    const record = await withTimeout(Promise.race([dtlsRecord, death]), 'DTLS ClientHello from the worker', 5000);
    // Give a crashing worker a moment to die, then prove it is alive.
    await new Promise((r) => setTimeout(r, 300));
    if (workerDied) throw new Error(`worker died during DTLS: ${workerDied.message}`);
    const usage = await withTimeout(worker.getResourceUsage(), 'worker.getResourceUsage after DTLS');
    const tstate = await transport.dump();
    step(
      `DTLS ok (worker sent a ${record.length}-byte handshake record, version ${record.readUInt16BE(1).toString(16)}; ` +
        `ice ${tstate.iceState}, dtls ${tstate.dtlsState}; worker alive, maxrss ${usage.ru_maxrss} KiB)`,
    );

    transport.close();
    server.close();
    router.close();
    if (!transport.closed || !server.closed || !router.closed) throw new Error('close did not take effect');
    worker.close();
    worker = undefined;
    process.stdout.write(`OK mediasoup-worker ${mediasoup.version} (${workerBin})\n`);
  } finally {
    sock.close();
    worker?.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[smoke-worker] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
