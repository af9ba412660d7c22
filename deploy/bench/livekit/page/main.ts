// The LiveKit side of the benches, set up the way LiveKit recommends for a fast join:
// - pre-join: the camera and microphone open (preview) and room.prepareConnection() warms the
//   connection to the server, like Duet's pre-join opens the camera and a standby socket;
// - join click: room.connect() and both tracks published at once;
// - adaptiveStream + dynacast (LiveKit's recommended room options), simulcast (its default);
// - the same capture as the Duet room (1280x720 ideal, 30 fps; echo cancellation etc. on) and
//   the same codec (VP8).
// - audio: RED and DTX on (LiveKit's defaults, set here so the figures say what they measured);
// The URL carries ?url=<ws url>&token=<join token>[&simulcast=0][&remote=<w>x<h>] (the remote
// <video>'s size, which adaptiveStream follows; 640x360 unless given). window.__lk exposes the state.
import { Room, RoomEvent, Track, VideoPresets, createLocalTracks, version, type LocalTrack, type RemoteTrack } from 'livekit-client';
import { AUDIO_CONSTRAINTS, VIDEO_CONSTRAINTS } from '../../../../web/src/lib/devices.ts';

const params = new URLSearchParams(location.search);
const url = params.get('url') ?? '';
const token = params.get('token') ?? '';
const simulcast = params.get('simulcast') !== '0';
const join = document.querySelector<HTMLButtonElement>('[data-testid="join"]')!;
const remoteVideo = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!;
const localVideo = document.querySelector<HTMLVideoElement>('[data-testid="local-video"]')!;
const remoteSize = /^(\d{2,4})x(\d{2,4})$/.exec(params.get('remote') ?? '');
if (remoteSize) Object.assign(remoteVideo, { width: Number(remoteSize[1]), height: Number(remoteSize[2]) });

const state = { phase: 'loading' as 'loading' | 'prejoin' | 'connecting' | 'room' | 'failed', error: '', published: 0, subscribed: 0 };
(window as unknown as { __lk: unknown }).__lk = { state: () => ({ ...state }), version };

const room = new Room({
  adaptiveStream: true,
  dynacast: true,
  publishDefaults: {
    videoCodec: 'vp8',
    simulcast,
    red: true,
    dtx: true,
    videoEncoding: VideoPresets.h720.encoding,
  },
  videoCaptureDefaults: { resolution: VideoPresets.h720.resolution },
});

room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
  state.subscribed++;
  if (track.kind === Track.Kind.Video) track.attach(remoteVideo);
  else track.attach(); // audio plays through its own element, as in an app
});

let tracks: LocalTrack[] = [];
async function prejoin(): Promise<void> {
  const frameRate = (VIDEO_CONSTRAINTS.frameRate as { ideal?: number } | undefined)?.ideal ?? 30;
  [tracks] = await Promise.all([
    createLocalTracks({ audio: AUDIO_CONSTRAINTS as never, video: { resolution: { ...VideoPresets.h720.resolution, frameRate } } }),
    room.prepareConnection(url, token),
  ]);
  const video = tracks.find((t) => t.kind === Track.Kind.Video);
  video?.attach(localVideo);
  state.phase = 'prejoin';
  join.disabled = false;
}

join.addEventListener('click', async () => {
  join.disabled = true;
  state.phase = 'connecting';
  try {
    await room.connect(url, token);
    state.phase = 'room';
    // Camera first (what people wait for), both published at once.
    await Promise.all([...tracks].sort((a) => (a.kind === Track.Kind.Video ? -1 : 1)).map((t) => room.localParticipant.publishTrack(t)));
    state.published = tracks.length;
  } catch (err) {
    state.phase = 'failed';
    state.error = String(err);
  }
});

prejoin().catch((err) => {
  state.phase = 'failed';
  state.error = String(err);
});
