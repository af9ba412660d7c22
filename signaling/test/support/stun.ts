// A minimal ICE connectivity check (RFC 8445 STUN binding request with USERNAME, PRIORITY,
// ICE-CONTROLLING, MESSAGE-INTEGRITY and FINGERPRINT) over UDP, as a browser sends it: proves a
// mediasoup transport really answers ICE on its candidate, or no longer does.
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { crc32 } from 'node:zlib';

function attr(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([head, value, pad]);
}

function header(bodyLength: number, txid: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x0001, 0); // Binding request
  h.writeUInt16BE(bodyLength, 2);
  h.writeUInt32BE(0x2112a442, 4);
  txid.copy(h, 8);
  return h;
}

export function bindingRequest(remoteUfrag: string, remotePwd: string, txid = randomBytes(12)): Buffer {
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e001eff, 0);
  let body = Buffer.concat([attr(0x0006, Buffer.from(`${remoteUfrag}:probe`)), attr(0x0024, priority), attr(0x802a, randomBytes(8))]);
  // MESSAGE-INTEGRITY over the message with the length counting it (24 bytes).
  const mi = createHmac('sha1', remotePwd).update(Buffer.concat([header(body.length + 24, txid), body])).digest();
  body = Buffer.concat([body, attr(0x0008, mi)]);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(Buffer.concat([header(body.length + 8, txid), body])) ^ 0x5354554e) >>> 0, 0);
  body = Buffer.concat([body, attr(0x8028, fp)]);
  return Buffer.concat([header(body.length, txid), body]);
}

/** True when a Binding success response comes back within `timeoutMs`. */
export async function iceAnswers(host: string, port: number, ufrag: string, pwd: string, timeoutMs = 1_000): Promise<boolean> {
  const socket = createSocket('udp4');
  const txid = randomBytes(12);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.on('message', (msg) => {
        if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(txid)) (clearTimeout(timer), resolve(true));
      });
      socket.on('error', () => (clearTimeout(timer), resolve(false)));
      socket.send(bindingRequest(ufrag, pwd, txid), port, host);
    });
  } finally {
    socket.close();
  }
}
