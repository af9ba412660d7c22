// Opus RED through the SFU needs two things mediasoup-client 3.24 does not do (it has no RED
// support; versatica/mediasoup#481), applied to its source when the room is bundled:
//  1. produce({ codec: audio/red }) keeps only that codec in the m-section, but a browser sends RED
//     only with the Opus it wraps negotiated after it: keep Opus too (RED first).
//  2. the answer's `a=fmtp` for RED must be "<opus pt>/<opus pt>" (a bare value; mediasoup-client
//     writes key=value pairs), or Chromium does not send RED. The same line in the receive side's
//     offer names the router's Opus payload type, which the worker writes into the blocks.
// Each edit must match exactly once, or the build fails: a new mediasoup-client version is checked
// by hand, not patched blindly.
import type { Plugin } from 'vite';

interface Edit {
  file: RegExp;
  find: string;
  replace: string;
  count: number;
}

const EDITS: Edit[] = [
  {
    file: /mediasoup-client[\\/]lib[\\/]ortc\.js$/,
    find: `                filteredCodecs.push(codecs[idx]);
                if (isRtxCodec(codecs[idx + 1])) {
                    filteredCodecs.push(codecs[idx + 1]);
                }
                break;`,
    replace: `                filteredCodecs.push(codecs[idx]);
                if (isRtxCodec(codecs[idx + 1])) {
                    filteredCodecs.push(codecs[idx + 1]);
                }
                /* duet: RED needs the Opus it wraps */
                if (codecs[idx].mimeType.toLowerCase() === 'audio/red') {
                    const duetOpus = codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
                    if (duetOpus) {
                        filteredCodecs.push(duetOpus);
                    }
                }
                break;`,
    count: 1,
  },
  {
    file: /mediasoup-client[\\/]lib[\\/]handlers[\\/]sdp[\\/]RemoteMediaSection\.js$/,
    find: `                    if (fmtp.config) {
                        this._mediaObject.fmtp.push(fmtp);`,
    replace: `                    /* duet: RED's fmtp names the Opus it wraps */
                    fmtp.config = duetRedFmtp(codec, typeof answerRtpParameters !== 'undefined' ? answerRtpParameters : offerRtpParameters, fmtp.config);
                    if (fmtp.config) {
                        this._mediaObject.fmtp.push(fmtp);`,
    count: 2,
  },
];

const RED_FMTP_HELPER = `
function duetRedFmtp(codec, rtpParameters, config) {
    if (codec.mimeType.toLowerCase() !== 'audio/red') {
        return config;
    }
    const opus = rtpParameters.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    return opus ? \`\${opus.payloadType}/\${opus.payloadType}\` : config;
}
`;

/** Applies the edits to `code` of module `id`; throws when an edit does not match as expected. */
export function patchMediasoupClient(id: string, code: string): string | undefined {
  const edits = EDITS.filter((e) => e.file.test(id));
  if (!edits.length) return undefined;
  let out = code;
  for (const edit of edits) {
    const found = out.split(edit.find).length - 1;
    if (found !== edit.count) throw new Error(`mediasoup-client RED patch: expected ${edit.count} match(es) in ${id}, found ${found}; check the new mediasoup-client by hand`);
    out = out.split(edit.find).join(edit.replace);
  }
  if (/RemoteMediaSection\.js$/.test(id)) out += RED_FMTP_HELPER;
  return out;
}

export function mediasoupClientRed(): Plugin {
  return {
    name: 'duet-mediasoup-client-red',
    enforce: 'pre',
    transform(code, id) {
      const patched = patchMediasoupClient(id.split('?')[0]!, code);
      return patched === undefined ? null : { code: patched, map: null };
    },
  };
}
