// Whether this browser can carry a call at all. Some cannot: WebKitGTK builds without WebRTC,
// in-app web views, Firefox with media.peerconnection.enabled turned off (a common privacy
// tweak). The page then says so up front (pre-join) and in the room, instead of "connecting…"
// forever; signaling (presence, chat) still works, so the two can still talk in writing.
export function webrtcSupported(): boolean {
  return typeof RTCPeerConnection === 'function';
}

export const NO_WEBRTC_TEXT = 'This browser cannot make video calls (WebRTC is missing or turned off). Chat still works; to see and hear each other, open this link in a current Chrome, Firefox, Edge or Safari.';
