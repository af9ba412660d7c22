// One lesson participant on a mediasoup-based SFU (Duet or the bare server): hello, a send
// transport with an Opus and a VP8 producer, a receive transport consuming the other side's two
// producers. Two pion PeerConnections, as mediasoup-client uses two RTCPeerConnections.
package main

import (
	"fmt"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

func newPionAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	vfb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "transport-cc"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: vfb}, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"}, PayloadType: 97}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	i := &interceptor.Registry{}
	// NACK both ways, RTCP sender/receiver reports, TWCC feedback for what we receive ...
	if err := webrtc.RegisterDefaultInterceptors(m, i); err != nil {
		return nil, err
	}
	// ... and transport-wide sequence numbers on what we send (the SFU's estimator reads them).
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, i); err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(i), webrtc.WithSettingEngine(s)), nil
}

type msPeer struct {
	sig  *sigClient
	send *webrtc.PeerConnection
	recv *webrtc.PeerConnection
	pub  publisher
	stop chan struct{}
}

func (p *msPeer) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	if p.sig != nil {
		p.sig.close()
	}
	if p.send != nil {
		_ = p.send.Close()
	}
	if p.recv != nil {
		_ = p.recv.Close()
	}
}

// readRTCP asks the publisher for a keyframe on PLI/FIR (the SFU wants one for every new consumer).
func readRTCP(sender *webrtc.RTPSender, pub *publisher) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				pub.keyframe.Store(true)
			}
		}
	}
}

func readTrack(track *webrtc.TrackRemote, st *stats) {
	ts := st.add()
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		st.onPacket(ts, p)
	}
}

func connected(pc *webrtc.PeerConnection) chan struct{} {
	ch := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
	})
	return ch
}

// joinMediasoup sets up one participant and returns once both directions flow (or fails).
func joinMediasoup(api *webrtc.API, url, token string, clip *videoClip, st *stats) (*msPeer, error) {
	p := &msPeer{stop: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			p.close()
		}
	}()
	sig, err := dialSignaling(url)
	if err != nil {
		return nil, err
	}
	p.sig = sig
	var hello struct {
		Mode string `json:"mode"`
		Sfu  *struct {
			RouterRtpCapabilities rtpCapsJSON `json:"routerRtpCapabilities"`
			Producers             []struct {
				ProducerID string `json:"producerId"`
				Kind       string `json:"kind"`
			} `json:"producers"`
		} `json:"sfu"`
	}
	if err := sig.request("hello", map[string]any{"v": 1, "token": token}, &hello); err != nil {
		return nil, err
	}
	// Until the other side arrives the room may wait (mode `waiting`); the SFU is forced (P2P
	// off), so the next `mode` is `sfu`.
	producers := map[string]string{}
	if hello.Sfu != nil {
		for _, pr := range hello.Sfu.Producers {
			producers[pr.ProducerID] = pr.Kind
		}
	}
	deadline := time.After(30 * time.Second)
	for hello.Mode != "sfu" {
		select {
		case n := <-sig.notes:
			if n["t"] == "mode" && n["mode"] == "sfu" {
				hello.Mode = "sfu"
			}
			if n["t"] == "sfu.newProducer" {
				producers[fmt.Sprint(n["producerId"])] = fmt.Sprint(n["kind"])
			}
		case <-deadline:
			return nil, fmt.Errorf("the room did not switch to the SFU in 30 s")
		case <-sig.closed:
			return nil, fmt.Errorf("signaling closed before the SFU mode")
		}
	}
	var caps struct {
		RouterRtpCapabilities rtpCapsJSON `json:"routerRtpCapabilities"`
	}
	if hello.Sfu != nil {
		caps.RouterRtpCapabilities = hello.Sfu.RouterRtpCapabilities
	} else if err := sig.request("sfu.capabilities", map[string]any{}, &caps); err != nil {
		return nil, err
	}
	recvCaps := caps.RouterRtpCapabilities.forConsuming()

	// Send side.
	var sendT transportInfo
	if err := sig.request("sfu.createTransport", map[string]any{"direction": "send"}, &sendT); err != nil {
		return nil, err
	}
	if p.send, err = api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire}); err != nil {
		return nil, err
	}
	audio, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "duet-bench")
	video, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "duet-bench")
	for _, tr := range []*webrtc.TrackLocalStaticSample{audio, video} {
		t, err := p.send.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return nil, err
		}
		go readRTCP(t.Sender(), &p.pub)
	}
	sendUp := connected(p.send)
	offer, err := p.send.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	if err := p.send.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	_, offered, err := parseOffer(offer.SDP)
	if err != nil {
		return nil, err
	}
	answer, err := sendAnswer(&sendT, offered)
	if err != nil {
		return nil, err
	}
	if err := p.send.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return nil, fmt.Errorf("send answer: %w", err)
	}
	dtls, err := dtlsFromSDP(p.send.LocalDescription().SDP)
	if err != nil {
		return nil, err
	}
	if err := sig.request("sfu.connectTransport", map[string]any{"transportId": sendT.TransportID, "dtlsParameters": dtls}, nil); err != nil {
		return nil, err
	}
	for _, tr := range offered {
		source := "camera"
		if tr.kind == "audio" {
			source = "microphone"
		}
		if err := sig.request("sfu.produce", map[string]any{"transportId": sendT.TransportID, "kind": tr.kind, "rtpParameters": tr.params, "source": source}, nil); err != nil {
			return nil, err
		}
	}
	p.pub.run(clip, audio.WriteSample, video.WriteSample, p.stop)

	// Receive side: wait until the other side's audio and video producers are known.
	var recvT transportInfo
	if err := sig.request("sfu.createTransport", map[string]any{"direction": "recv"}, &recvT); err != nil {
		return nil, err
	}
	for len(producers) < 2 {
		select {
		case n := <-sig.notes:
			if n["t"] == "sfu.newProducer" {
				producers[fmt.Sprint(n["producerId"])] = fmt.Sprint(n["kind"])
			}
		case <-deadline:
			return nil, fmt.Errorf("the other side's producers did not arrive in 30 s (%d)", len(producers))
		case <-sig.closed:
			return nil, fmt.Errorf("signaling closed while waiting for producers")
		}
	}
	var consumers []consumerInfo
	for _, kind := range []string{"audio", "video"} {
		for id, k := range producers {
			if k != kind {
				continue
			}
			var c consumerInfo
			if err := sig.request("sfu.consume", map[string]any{"producerId": id, "rtpCapabilities": recvCaps}, &c); err != nil {
				return nil, err
			}
			consumers = append(consumers, c)
		}
	}
	if p.recv, err = api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire}); err != nil {
		return nil, err
	}
	p.recv.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { go readTrack(t, st) })
	recvUp := connected(p.recv)
	roffer, err := recvOffer(&recvT, consumers)
	if err != nil {
		return nil, err
	}
	if err := p.recv.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: roffer}); err != nil {
		return nil, fmt.Errorf("recv offer: %w", err)
	}
	ranswer, err := p.recv.CreateAnswer(nil)
	if err != nil {
		return nil, err
	}
	if err := p.recv.SetLocalDescription(ranswer); err != nil {
		return nil, err
	}
	rdtls, err := dtlsFromSDP(ranswer.SDP)
	if err != nil {
		return nil, err
	}
	if err := sig.request("sfu.connectTransport", map[string]any{"transportId": recvT.TransportID, "dtlsParameters": rdtls}, nil); err != nil {
		return nil, err
	}
	for _, c := range consumers {
		if err := sig.request("sfu.resumeConsumer", map[string]any{"consumerId": c.ConsumerID}, nil); err != nil {
			return nil, err
		}
	}
	for i, up := range []chan struct{}{sendUp, recvUp} {
		select {
		case <-up:
		case <-deadline:
			return nil, fmt.Errorf("ICE/DTLS of the %s transport did not connect in 30 s", []string{"send", "receive"}[i])
		}
	}
	ok = true
	return p, nil
}

// rtpCapsJSON: the router's capabilities, trimmed to what this client receives (Opus, VP8 and
// its RTX; MID and transport-wide CC), like a mediasoup-client Device's receive capabilities.
type rtpCapsJSON struct {
	Codecs []map[string]any `json:"codecs"`
	Exts   []map[string]any `json:"headerExtensions"`
}

func (c rtpCapsJSON) forConsuming() map[string]any {
	var codecs []map[string]any
	vp8PT := -1.0
	for _, k := range c.Codecs {
		if k["mimeType"] == "video/VP8" {
			vp8PT, _ = k["preferredPayloadType"].(float64)
		}
	}
	for _, k := range c.Codecs {
		switch k["mimeType"] {
		case "audio/opus", "video/VP8":
			codecs = append(codecs, k)
		case "video/rtx":
			if p, ok := k["parameters"].(map[string]any); ok && p["apt"] == vp8PT {
				codecs = append(codecs, k)
			}
		}
	}
	var exts []map[string]any
	for _, e := range c.Exts {
		if u, _ := e["uri"].(string); wantedExts[u] {
			exts = append(exts, e)
		}
	}
	return map[string]any{"codecs": codecs, "headerExtensions": exts}
}
