// SDP for a pion PeerConnection talking to a mediasoup WebRtcTransport, built the way
// mediasoup-client's handlers do: the send side offers (pion) and gets an answer made from the
// transport's ICE/DTLS parameters and the produced RTP parameters; the receive side gets an offer
// made from the consumers' RTP parameters and answers it (pion). mediasoup is ICE-lite and
// takes the DTLS server role; the pion side is the ICE controller and the DTLS client.
package main

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

type transportInfo struct {
	TransportID   string `json:"transportId"`
	IceParameters struct {
		UsernameFragment string `json:"usernameFragment"`
		Password         string `json:"password"`
	} `json:"iceParameters"`
	IceCandidates []struct {
		Foundation string `json:"foundation"`
		Priority   uint32 `json:"priority"`
		Address    string `json:"address"`
		IP         string `json:"ip"`
		Protocol   string `json:"protocol"`
		Port       int    `json:"port"`
		Type       string `json:"type"`
	} `json:"iceCandidates"`
	DtlsParameters struct {
		Fingerprints []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"value"`
		} `json:"fingerprints"`
	} `json:"dtlsParameters"`
}

type codecParams struct {
	MimeType     string         `json:"mimeType"`
	PayloadType  int            `json:"payloadType"`
	ClockRate    int            `json:"clockRate"`
	Channels     int            `json:"channels,omitempty"`
	Parameters   map[string]any `json:"parameters"`
	RtcpFeedback []struct {
		Type      string `json:"type"`
		Parameter string `json:"parameter,omitempty"`
	} `json:"rtcpFeedback"`
}

type extParams struct {
	URI string `json:"uri"`
	ID  int    `json:"id"`
}

type rtpParams struct {
	Mid              string        `json:"mid,omitempty"`
	Codecs           []codecParams `json:"codecs"`
	HeaderExtensions []extParams   `json:"headerExtensions"`
	Encodings        []struct {
		Ssrc uint32 `json:"ssrc"`
		Rtx  *struct {
			Ssrc uint32 `json:"ssrc"`
		} `json:"rtx,omitempty"`
	} `json:"encodings"`
	Rtcp struct {
		Cname string `json:"cname"`
	} `json:"rtcp"`
}

// Header extensions both sides use: MID (BUNDLE demux) and transport-wide CC (the SFU's
// bandwidth estimation and the TWCC feedback it sends back).
var wantedExts = map[string]bool{
	"urn:ietf:params:rtp-hdrext:sdes:mid":                                       true,
	"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01": true,
}

func sessionHead(t *transportInfo, mids []string) (string, error) {
	fp := ""
	for _, f := range t.DtlsParameters.Fingerprints {
		if f.Algorithm == "sha-256" {
			fp = f.Value
		}
	}
	if fp == "" {
		return "", fmt.Errorf("transport %s has no sha-256 fingerprint", t.TransportID)
	}
	return "v=0\r\no=mediasoup 10000 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n" +
		"a=fingerprint:sha-256 " + fp + "\r\na=msid-semantic: WMS *\r\na=group:BUNDLE " + strings.Join(mids, " ") + "\r\n", nil
}

func transportLines(t *transportInfo, setup string) string {
	var b strings.Builder
	b.WriteString("c=IN IP4 127.0.0.1\r\n")
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", t.IceParameters.UsernameFragment, t.IceParameters.Password)
	for _, c := range t.IceCandidates {
		if c.Protocol != "udp" {
			continue
		}
		addr := c.Address
		if addr == "" {
			addr = c.IP
		}
		fmt.Fprintf(&b, "a=candidate:%s 1 udp %d %s %d typ %s\r\n", c.Foundation, c.Priority, addr, c.Port, c.Type)
	}
	b.WriteString("a=end-of-candidates\r\na=ice-options:renomination\r\n")
	fmt.Fprintf(&b, "a=setup:%s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n", setup)
	return b.String()
}

func codecLines(codecs []codecParams) (string, []string) {
	var b strings.Builder
	var pts []string
	for _, c := range codecs {
		pts = append(pts, fmt.Sprint(c.PayloadType))
		name := c.MimeType[strings.Index(c.MimeType, "/")+1:]
		if c.Channels > 1 {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d/%d\r\n", c.PayloadType, name, c.ClockRate, c.Channels)
		} else {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PayloadType, name, c.ClockRate)
		}
		var fmtp []string
		for k, v := range c.Parameters {
			fmtp = append(fmtp, fmt.Sprintf("%s=%v", k, v))
		}
		if len(fmtp) > 0 {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", c.PayloadType, strings.Join(fmtp, ";"))
		}
		for _, fb := range c.RtcpFeedback {
			if fb.Parameter != "" {
				fmt.Fprintf(&b, "a=rtcp-fb:%d %s %s\r\n", c.PayloadType, fb.Type, fb.Parameter)
			} else {
				fmt.Fprintf(&b, "a=rtcp-fb:%d %s\r\n", c.PayloadType, fb.Type)
			}
		}
	}
	return b.String(), pts
}

// offeredTrack is what the pion offer says about one sending m-section.
type offeredTrack struct {
	kind   string
	mid    string
	params rtpParams
}

// parseOffer reads pion's send offer: DTLS fingerprint and, per m-section, the RTP parameters
// mediasoup's `produce` wants (codecs with their payload types, SSRCs, header extension ids).
func parseOffer(raw string) (fingerprint string, tracks []offeredTrack, err error) {
	var sd sdp.SessionDescription
	if err = sd.Unmarshal([]byte(raw)); err != nil {
		return "", nil, err
	}
	if v, ok := sd.Attribute("fingerprint"); ok {
		fingerprint = v
	}
	for _, m := range sd.MediaDescriptions {
		tr := offeredTrack{kind: m.MediaName.Media}
		rtpmaps := map[int]string{}
		fmtps := map[int]string{}
		var ssrcs []uint32
		var fid []uint32
		cname := ""
		for _, a := range m.Attributes {
			switch a.Key {
			case "fingerprint":
				if fingerprint == "" {
					fingerprint = a.Value
				}
			case "mid":
				tr.mid = a.Value
			case "rtpmap":
				var pt int
				var enc string
				fmt.Sscanf(a.Value, "%d %s", &pt, &enc)
				rtpmaps[pt] = enc
			case "fmtp":
				var pt int
				fmt.Sscanf(a.Value, "%d", &pt)
				fmtps[pt] = a.Value[strings.Index(a.Value, " ")+1:]
			case "extmap":
				var id int
				var uri string
				fmt.Sscanf(a.Value, "%d %s", &id, &uri)
				if wantedExts[uri] {
					tr.params.HeaderExtensions = append(tr.params.HeaderExtensions, extParams{URI: uri, ID: id})
				}
			case "ssrc":
				var s uint32
				var rest string
				fmt.Sscanf(a.Value, "%d %s", &s, &rest)
				if len(ssrcs) == 0 || ssrcs[len(ssrcs)-1] != s {
					ssrcs = append(ssrcs, s)
				}
				if strings.HasPrefix(rest, "cname:") {
					cname = strings.TrimPrefix(rest, "cname:")
				}
			case "ssrc-group":
				f := strings.Fields(a.Value)
				if len(f) == 3 && f[0] == "FID" {
					var x, y uint32
					fmt.Sscan(f[1], &x)
					fmt.Sscan(f[2], &y)
					fid = []uint32{x, y}
				}
			}
		}
		// The media codec first (opus or VP8), then its RTX.
		mediaPT := -1
		for pt, enc := range rtpmaps {
			e := strings.ToLower(enc)
			if strings.HasPrefix(e, "opus/") || strings.HasPrefix(e, "vp8/") {
				mediaPT = pt
			}
		}
		if mediaPT < 0 || len(ssrcs) == 0 {
			return "", nil, fmt.Errorf("offer m-section %s: no opus/VP8 or no SSRC", tr.mid)
		}
		fb := func(kind string) []struct {
			Type      string `json:"type"`
			Parameter string `json:"parameter,omitempty"`
		} {
			type f = struct {
				Type      string `json:"type"`
				Parameter string `json:"parameter,omitempty"`
			}
			if kind == "audio" {
				return []f{{Type: "transport-cc"}}
			}
			return []f{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "transport-cc"}}
		}
		if tr.kind == "audio" {
			tr.params.Codecs = append(tr.params.Codecs, codecParams{MimeType: "audio/opus", PayloadType: mediaPT, ClockRate: 48000, Channels: 2, Parameters: map[string]any{"minptime": 10, "useinbandfec": 1}, RtcpFeedback: fb("audio")})
		} else {
			tr.params.Codecs = append(tr.params.Codecs, codecParams{MimeType: "video/VP8", PayloadType: mediaPT, ClockRate: 90000, Parameters: map[string]any{}, RtcpFeedback: fb("video")})
			for pt, enc := range rtpmaps {
				if strings.HasPrefix(strings.ToLower(enc), "rtx/") && fmtps[pt] == fmt.Sprintf("apt=%d", mediaPT) && fid != nil {
					tr.params.Codecs = append(tr.params.Codecs, codecParams{MimeType: "video/rtx", PayloadType: pt, ClockRate: 90000, Parameters: map[string]any{"apt": mediaPT}})
				}
			}
		}
		tr.params.Mid = tr.mid
		tr.params.Rtcp.Cname = cname
		enc := struct {
			Ssrc uint32 `json:"ssrc"`
			Rtx  *struct {
				Ssrc uint32 `json:"ssrc"`
			} `json:"rtx,omitempty"`
		}{Ssrc: ssrcs[0]}
		if fid != nil && len(tr.params.Codecs) > 1 {
			enc.Ssrc = fid[0]
			enc.Rtx = &struct {
				Ssrc uint32 `json:"ssrc"`
			}{Ssrc: fid[1]}
		}
		tr.params.Encodings = append(tr.params.Encodings, enc)
		tracks = append(tracks, tr)
	}
	if fingerprint == "" {
		return "", nil, fmt.Errorf("offer has no fingerprint")
	}
	return fingerprint, tracks, nil
}

// sendAnswer: mediasoup's side of the send transport, receiving what pion offered.
func sendAnswer(t *transportInfo, tracks []offeredTrack) (string, error) {
	var mids []string
	for _, tr := range tracks {
		mids = append(mids, tr.mid)
	}
	head, err := sessionHead(t, mids)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(head)
	for _, tr := range tracks {
		codecs, pts := codecLines(tr.params.Codecs)
		fmt.Fprintf(&b, "m=%s 7 UDP/TLS/RTP/SAVPF %s\r\n", tr.kind, strings.Join(pts, " "))
		b.WriteString(transportLines(t, "passive"))
		fmt.Fprintf(&b, "a=mid:%s\r\na=recvonly\r\n", tr.mid)
		b.WriteString(codecs)
		for _, e := range tr.params.HeaderExtensions {
			fmt.Fprintf(&b, "a=extmap:%d %s\r\n", e.ID, e.URI)
		}
	}
	return b.String(), nil
}

type consumerInfo struct {
	ConsumerID    string    `json:"consumerId"`
	ProducerID    string    `json:"producerId"`
	Kind          string    `json:"kind"`
	RtpParameters rtpParams `json:"rtpParameters"`
}

// recvOffer: mediasoup's side of the receive transport, offering the consumers' streams.
func recvOffer(t *transportInfo, consumers []consumerInfo) (string, error) {
	var mids []string
	for _, c := range consumers {
		mids = append(mids, c.RtpParameters.Mid)
	}
	head, err := sessionHead(t, mids)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(head)
	for _, c := range consumers {
		p := c.RtpParameters
		codecs, pts := codecLines(p.Codecs)
		fmt.Fprintf(&b, "m=%s 7 UDP/TLS/RTP/SAVPF %s\r\n", c.Kind, strings.Join(pts, " "))
		b.WriteString(transportLines(t, "actpass"))
		fmt.Fprintf(&b, "a=mid:%s\r\na=sendonly\r\n", p.Mid)
		b.WriteString(codecs)
		for _, e := range p.HeaderExtensions {
			fmt.Fprintf(&b, "a=extmap:%d %s\r\n", e.ID, e.URI)
		}
		stream, track := "s-"+c.ProducerID, "t-"+c.ConsumerID
		fmt.Fprintf(&b, "a=msid:%s %s\r\n", stream, track)
		for _, e := range p.Encodings {
			if e.Rtx != nil {
				fmt.Fprintf(&b, "a=ssrc-group:FID %d %d\r\n", e.Ssrc, e.Rtx.Ssrc)
			}
			fmt.Fprintf(&b, "a=ssrc:%d cname:%s\r\na=ssrc:%d msid:%s %s\r\n", e.Ssrc, p.Rtcp.Cname, e.Ssrc, stream, track)
			if e.Rtx != nil {
				fmt.Fprintf(&b, "a=ssrc:%d cname:%s\r\na=ssrc:%d msid:%s %s\r\n", e.Rtx.Ssrc, p.Rtcp.Cname, e.Rtx.Ssrc, stream, track)
			}
		}
	}
	return b.String(), nil
}

// dtlsFromSDP: the DTLS parameters to send with sfu.connectTransport (pion is the DTLS client).
func dtlsFromSDP(raw string) (map[string]any, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal([]byte(raw)); err != nil {
		return nil, err
	}
	fp, ok := sd.Attribute("fingerprint")
	if !ok {
		for _, m := range sd.MediaDescriptions {
			if v, ok2 := m.Attribute("fingerprint"); ok2 {
				fp, ok = v, true
				break
			}
		}
	}
	f := strings.Fields(fp)
	if !ok || len(f) != 2 {
		return nil, fmt.Errorf("no fingerprint in local SDP")
	}
	// pion answers an ICE-lite offer as the DTLS server (a=setup:passive), an answer with
	// setup:passive makes it the client: tell mediasoup which role this side took.
	role := "client"
	for _, m := range sd.MediaDescriptions {
		if v, ok := m.Attribute("setup"); ok && v == "passive" {
			role = "server"
		}
	}
	return map[string]any{"role": role, "fingerprints": []map[string]string{{"algorithm": f[0], "value": f[1]}}}, nil
}
