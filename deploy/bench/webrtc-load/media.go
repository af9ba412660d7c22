// Media of one simulated participant: a VP8 track replayed from an IVF file (real VP8 frames, so
// SFUs parse keyframes and payload descriptors) and an Opus track of 20 ms frames, both stamped
// with their send time, and the receive side that measures loss (RTP sequence gaps), one-way
// delay (the stamp; sender and receiver are this process) and interarrival jitter.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// The stamp appended to every frame: magic + send time (ns since the process start). SFUs never
// look at a frame's tail; the last RTP packet of each frame carries it.
var stampMagic = [4]byte{'D', 'U', 'E', 'T'}

const stampLen = 12

var epoch = time.Now()

func stamp(frame []byte) []byte {
	out := make([]byte, len(frame)+stampLen)
	copy(out, frame)
	copy(out[len(frame):], stampMagic[:])
	binary.BigEndian.PutUint64(out[len(frame)+4:], uint64(time.Since(epoch).Nanoseconds()))
	return out
}

// readStamp returns the one-way delay of a payload that ends with a stamp.
func readStamp(payload []byte, now time.Duration) (time.Duration, bool) {
	if len(payload) < stampLen {
		return 0, false
	}
	tail := payload[len(payload)-stampLen:]
	if [4]byte(tail[:4]) != stampMagic {
		return 0, false
	}
	return now - time.Duration(binary.BigEndian.Uint64(tail[4:])), true
}

type videoClip struct {
	frames [][]byte
	fps    float64
}

func loadIVF(path string) (*videoClip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, h, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, err
	}
	clip := &videoClip{fps: float64(h.TimebaseDenominator) / float64(h.TimebaseNumerator)}
	for {
		frame, _, err := r.ParseNextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		clip.frames = append(clip.frames, frame)
	}
	if len(clip.frames) == 0 || len(clip.frames[0]) == 0 || clip.frames[0][0]&1 != 0 {
		return nil, fmt.Errorf("%s: no VP8 frames, or the first is not a keyframe", path)
	}
	if clip.fps <= 0 || clip.fps > 120 {
		clip.fps = 30
	}
	return clip, nil
}

// Opus: one CELT frame of silence (TOC 0xF8 = 20 ms fullband mono) padded to a voice-like size.
var opusFrame = append([]byte{0xF8, 0xFF, 0xFE}, make([]byte, 80)...)

type sampleWriter func(media.Sample) error

// publisher sends one participant's two tracks until stop is closed. keyframe is set by an RTCP
// PLI/FIR handler: the video restarts at the clip's first (key) frame.
type publisher struct {
	keyframe atomic.Bool
	sent     atomic.Int64
	errors   atomic.Int64
}

func (p *publisher) run(clip *videoClip, audio, video sampleWriter, stop <-chan struct{}) {
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if audio(media.Sample{Data: stamp(opusFrame), Duration: 20 * time.Millisecond}) != nil {
					p.errors.Add(1)
				}
				p.sent.Add(1)
			}
		}
	}()
	go func() {
		period := time.Duration(float64(time.Second) / clip.fps)
		t := time.NewTicker(period)
		defer t.Stop()
		i := 0
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if p.keyframe.Swap(false) {
					i = 0
				}
				if video(media.Sample{Data: stamp(clip.frames[i]), Duration: period}) != nil {
					p.errors.Add(1)
				}
				p.sent.Add(1)
				i = (i + 1) % len(clip.frames)
			}
		}
	}()
}

// stats gathers what every receiver measured since the last reset.
type stats struct {
	mu       sync.Mutex
	expected int64
	received int64
	delays   []float64 // ms, capped
	jitters  []float64 // ms, per track at collect time
	tracks   []*trackStats
}

type trackStats struct {
	mu        sync.Mutex
	first     bool
	baseSeq   int64 // unwrapped sequence number of the first packet in the window
	maxSeq    int64
	lastSeq   uint16
	cycles    int64
	received  int64
	jitter    float64
	lastDelay float64
}

const maxDelaySamples = 2_000_000

func (s *stats) add() *trackStats {
	t := &trackStats{first: true}
	s.mu.Lock()
	s.tracks = append(s.tracks, t)
	s.mu.Unlock()
	return t
}

// onPacket accounts one received RTP packet of a track.
func (s *stats) onPacket(t *trackStats, p *rtp.Packet) {
	now := time.Since(epoch)
	t.mu.Lock()
	if t.first {
		t.first = false
		t.lastSeq = p.SequenceNumber
		t.baseSeq = int64(p.SequenceNumber)
		t.maxSeq = t.baseSeq
	} else {
		if p.SequenceNumber < t.lastSeq && t.lastSeq-p.SequenceNumber > 0x8000 {
			t.cycles++
		}
		if int16(p.SequenceNumber-t.lastSeq) > 0 {
			t.lastSeq = p.SequenceNumber
		}
		if u := t.cycles<<16 | int64(p.SequenceNumber); u > t.maxSeq && u-t.maxSeq < 0x8000 {
			t.maxSeq = u
		}
	}
	t.received++
	d, ok := readStamp(p.Payload, now)
	if ok {
		ms := float64(d.Microseconds()) / 1000
		if t.lastDelay != 0 {
			t.jitter += (math.Abs(ms-t.lastDelay) - t.jitter) / 16 // RFC 3550 interarrival jitter
		}
		t.lastDelay = ms
	}
	t.mu.Unlock()
	if ok {
		s.mu.Lock()
		if len(s.delays) < maxDelaySamples {
			s.delays = append(s.delays, float64(d.Microseconds())/1000)
		}
		s.mu.Unlock()
	}
}

func (s *stats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = s.delays[:0]
	for _, t := range s.tracks {
		t.mu.Lock()
		t.first = true
		t.received = 0
		t.mu.Unlock()
	}
}

type report struct {
	Expected int64   `json:"expected"`
	Received int64   `json:"received"`
	Loss     float64 `json:"loss"`
	Tracks   int     `json:"tracks"`
	SilentTr int     `json:"silent_tracks"`
	DelayP50 float64 `json:"delay_ms_p50"`
	DelayP95 float64 `json:"delay_ms_p95"`
	DelayP99 float64 `json:"delay_ms_p99"`
	JitterMs float64 `json:"jitter_ms_mean"`
	Samples  int     `json:"delay_samples"`
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	i := int(float64(len(sorted)) * p)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return math.Round(sorted[i]*100) / 100
}

func (s *stats) collect() report {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r report
	var jit float64
	for _, t := range s.tracks {
		t.mu.Lock()
		r.Tracks++
		if t.first {
			r.SilentTr++ // nothing arrived in the window: counted as fully lost below by the caller
		} else {
			r.Expected += t.maxSeq - t.baseSeq + 1
			r.Received += t.received
			jit += t.jitter
		}
		t.mu.Unlock()
	}
	if r.Expected > 0 {
		r.Loss = math.Max(0, 1-float64(r.Received)/float64(r.Expected))
	}
	if n := r.Tracks - r.SilentTr; n > 0 {
		r.JitterMs = math.Round(jit/float64(n)*100) / 100
	}
	d := append([]float64(nil), s.delays...)
	sort.Float64s(d)
	r.Samples = len(d)
	r.DelayP50, r.DelayP95, r.DelayP99 = pct(d, 0.5), pct(d, 0.95), pct(d, 0.99)
	return r
}
