// Synthetic RTP for recorder tests and the benchmark: FFmpeg encodes a solid colour (VP8) or a
// sine tone (Opus) in real time and sends it to the ports the recorder opened, like mediasoup does.
import { spawn, type ChildProcess } from 'node:child_process';

export const VP8 = { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, parameters: {} };
export const OPUS = { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { minptime: 10, useinbandfec: 1 } };

export interface RtpSender {
  child: ChildProcess;
  stop(): Promise<void>;
}

export function sendVideo(port: number, colour: string, opts: { size?: string; fps?: number; durationS?: number } = {}): RtpSender {
  const size = opts.size ?? '320x240';
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `color=c=${colour}:s=${size}:r=${opts.fps ?? 20}`];
  if (opts.durationS) args.push('-t', String(opts.durationS));
  args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '40', '-b:v', '300k', '-f', 'rtp', '-payload_type', String(VP8.payloadType), `rtp://127.0.0.1:${port}?rtcpport=${port + 1}&pkt_size=1200`);
  return start(args);
}

export function sendAudio(port: number, frequency = 440, opts: { durationS?: number } = {}): RtpSender {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `sine=f=${frequency}:r=48000`];
  if (opts.durationS) args.push('-t', String(opts.durationS));
  args.push('-ac', '2', '-c:a', 'libopus', '-b:a', '32k', '-f', 'rtp', '-payload_type', String(OPUS.payloadType), `rtp://127.0.0.1:${port}?rtcpport=${port + 1}`);
  return start(args);
}

function start(args: string[]): RtpSender {
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
