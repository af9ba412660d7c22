// What a MediaRoom test without a browser hands the node: a client DTLS description (the
// transport never really connects) and an Opus producer's RTP parameters.
export const FAKE_DTLS = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }] };

export function opusParameters(ssrc: number, cname = 'test') {
  return {
    mid: '0',
    codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname },
  };
}
