// One lesson participant on LiveKit: lksdk (server-sdk-go) joins the room, publishes an Opus and
// a VP8 track (one layer: no simulcast at a fixed bitrate) and auto-subscribes to the other side.
package main

import (
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

type lkPeer struct {
	room *lksdk.Room
	pub  publisher
	stop chan struct{}
}

func (p *lkPeer) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	if p.room != nil {
		p.room.Disconnect()
	}
}

func joinLiveKit(url, token string, clip *videoClip, st *stats) (*lkPeer, error) {
	p := &lkPeer{stop: make(chan struct{})}
	cb := &lksdk.RoomCallback{ParticipantCallback: lksdk.ParticipantCallback{
		OnTrackSubscribed: func(t *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
			go readTrack(t, st)
		},
	}}
	room, err := lksdk.ConnectToRoomWithToken(url, token, cb, lksdk.WithAutoSubscribe(true))
	if err != nil {
		return nil, err
	}
	p.room = room
	audio, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		p.close()
		return nil, err
	}
	onRTCP := func(pkt rtcp.Packet) {
		switch pkt.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			p.pub.keyframe.Store(true)
		}
	}
	video, err := lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, lksdk.WithRTCPHandler(onRTCP))
	if err != nil {
		p.close()
		return nil, err
	}
	if _, err := room.LocalParticipant.PublishTrack(audio, &lksdk.TrackPublicationOptions{Name: "microphone", Source: livekit.TrackSource_MICROPHONE, DisableDTX: true}); err != nil {
		p.close()
		return nil, err
	}
	if _, err := room.LocalParticipant.PublishTrack(video, &lksdk.TrackPublicationOptions{Name: "camera", Source: livekit.TrackSource_CAMERA, VideoWidth: 640, VideoHeight: 360}); err != nil {
		p.close()
		return nil, err
	}
	p.pub.run(clip, func(s media.Sample) error { return audio.WriteSample(s, nil) }, func(s media.Sample) error { return video.WriteSample(s, nil) }, p.stop)
	return p, nil
}
