// Whether this browser can carry a call at all. Some cannot: WebKitGTK builds without WebRTC,
// in-app web views, Firefox with media.peerconnection.enabled turned off (a common privacy
// tweak). The page then says so up front (pre-join) and in the room, instead of "connecting…"
// forever; signaling (presence, chat) still works, so the two can still talk in writing.
export function webrtcSupported(): boolean {
  return typeof RTCPeerConnection === 'function';
}

