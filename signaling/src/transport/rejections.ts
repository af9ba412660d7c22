// Counts of everything the node refused to protect itself or a lesson (frames, floods, socket
// caps, SFU caps), by a fixed reason label; exported as duet_node_rejections_total{reason}.
export type RejectionReason =
  | 'frame_extension' // msgpack extension type (structured clone, records, ...)
  | 'frame_too_deep'
  | 'frame_bad_length' // declared str/array/map length beyond the frame
  | 'frame_bad_type' // binary, non-string map key, 0xc1
  | 'frame_malformed' // truncated / trailing bytes / not decodable at all
  | 'frame_too_large'
  | 'invalid_message'
  | 'rate_limited' // the per-connection bucket
  | 'rate_limited_kind' // a per-kind bucket (chat.send, app.data, ...)
  | 'rate_closed' // a connection that kept flooding was closed
  | 'app_data_too_large'
  | 'sfu_limit' // an SFU cap or throttle (transports, producers, consumers, keyframes)
  | 'join_produce_refused' // a producer given with `join` that the SFU refused (bad RTP parameters, ...)
  | 'probe_limit' // sfu.probe refused: one already open on the socket, the socket's total, or the node's cap
  | 'sockets_per_seat'
  | 'sockets_per_address'
  | 'preauth_sockets'
  | 'preauth_timeout' // no hello/standby in time
  | 'board_too_large' // one whiteboard update beyond MAX_BOARD_UPDATE_BYTES
  | 'board_invalid' // not a Yjs update
  | 'board_full' // the lesson's whiteboard reached BOARD_MAX_DOC_BYTES
  | 'board_locked'; // the student wrote while the tutor had locked the board

export class Rejections {
  private readonly counts = new Map<RejectionReason, number>();

  count(reason: RejectionReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get(reason: RejectionReason): number {
    return this.counts.get(reason) ?? 0;
  }

  entries(): [RejectionReason, number][] {
    return [...this.counts];
  }
}
