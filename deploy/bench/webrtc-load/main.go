// webrtc-load: a load generator of real WebRTC peers (ICE, DTLS, SRTP, RTCP feedback, TWCC) for
// deploy/bench/webrtc-capacity. Each lesson is two peers, each publishing Opus + VP8 and
// receiving the other's two tracks through the SFU under test:
//
//	webrtc-load --sfu duet|bare|livekit --url ws://… --ivf clip.ivf
//
// It is driven over stdin/stdout, one JSON object a line (so the orchestrator can step the load
// without tearing lessons down):
//
//	{"cmd":"add","lessons":[["tokenA","tokenB"],…]}  -> {"ok":true,"lessons":N,"failed":F,"errors":[…]}
//	{"cmd":"reset"}                                   -> {"ok":true}   (start a measurement window)
//	{"cmd":"collect"}                                 -> the window's loss, delay, jitter
//	{"cmd":"quit"}
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"
)

type peer interface{ close() }

type lessonTokens [2]string

func main() {
	sfu := flag.String("sfu", "", "duet | bare | livekit")
	url := flag.String("url", "", "signaling URL (ws://…)")
	ivf := flag.String("ivf", "", "VP8 clip (IVF)")
	parallel := flag.Int("parallel", 4, "lessons set up at once")
	flag.Parse()
	if *sfu != "duet" && *sfu != "bare" && *sfu != "livekit" || *url == "" || *ivf == "" {
		fmt.Fprintln(os.Stderr, "usage: webrtc-load --sfu duet|bare|livekit --url ws://… --ivf clip.ivf")
		os.Exit(2)
	}
	clip, err := loadIVF(*ivf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	api, err := newPionAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st := &stats{}
	var mu sync.Mutex
	var peers []peer
	var pubs []*publisher
	join := func(token string) (peer, *publisher, error) {
		if *sfu == "livekit" {
			p, err := joinLiveKit(*url, token, clip, st)
			if err != nil {
				return nil, nil, err
			}
			return p, &p.pub, nil
		}
		p, err := joinMediasoup(api, *url, token, clip, st)
		if err != nil {
			return nil, nil, err
		}
		return p, &p.pub, nil
	}
	out := json.NewEncoder(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	var sentAtReset int64
	var resetAt time.Time
	for in.Scan() {
		var cmd struct {
			Cmd     string         `json:"cmd"`
			Lessons []lessonTokens `json:"lessons"`
		}
		if err := json.Unmarshal(in.Bytes(), &cmd); err != nil {
			_ = out.Encode(map[string]any{"ok": false, "error": err.Error()})
			continue
		}
		switch cmd.Cmd {
		case "add":
			var wg sync.WaitGroup
			sem := make(chan struct{}, max(1, *parallel))
			var errs []string
			failed := 0
			for _, l := range cmd.Lessons {
				wg.Add(1)
				sem <- struct{}{}
				go func(l lessonTokens) {
					defer wg.Done()
					defer func() { <-sem }()
					// Both participants join at once: each waits for the other's producers.
					var inner sync.WaitGroup
					res := make([]error, 2)
					got := make([]peer, 2)
					gotPub := make([]*publisher, 2)
					for i := range 2 {
						inner.Add(1)
						go func(i int) {
							defer inner.Done()
							got[i], gotPub[i], res[i] = join(l[i])
						}(i)
					}
					inner.Wait()
					mu.Lock()
					defer mu.Unlock()
					for i := range 2 {
						if res[i] != nil {
							failed++
							if len(errs) < 5 {
								errs = append(errs, res[i].Error())
							}
						} else {
							peers = append(peers, got[i])
							pubs = append(pubs, gotPub[i])
						}
					}
				}(l)
			}
			wg.Wait()
			mu.Lock()
			n := len(peers)
			mu.Unlock()
			_ = out.Encode(map[string]any{"ok": failed == 0, "peers": n, "failed": failed, "errors": errs})
		case "reset":
			st.reset()
			sentAtReset = 0
			mu.Lock()
			for _, p := range pubs {
				sentAtReset += p.sent.Load()
			}
			mu.Unlock()
			resetAt = time.Now()
			_ = out.Encode(map[string]any{"ok": true})
		case "collect":
			r := st.collect()
			var sent, errs int64
			mu.Lock()
			for _, p := range pubs {
				sent += p.sent.Load()
				errs += p.errors.Load()
			}
			n := len(peers)
			mu.Unlock()
			secs := time.Since(resetAt).Seconds()
			_ = out.Encode(map[string]any{"ok": true, "peers": n, "report": r, "frames_per_s": float64(sent-sentAtReset) / secs, "write_errors": errs, "seconds": secs})
		case "quit":
			mu.Lock()
			for _, p := range peers {
				p.close()
			}
			mu.Unlock()
			_ = out.Encode(map[string]any{"ok": true})
			return
		default:
			_ = out.Encode(map[string]any{"ok": false, "error": "unknown cmd"})
		}
	}
}
