// A JSON-subprotocol signaling client for mediasoup-based SFUs: Duet's media node
// (`duet.v1.json`, docs/protocol.md) and the bench's bare mediasoup server, which answers the same
// subset of messages (hello, sfu.createTransport/connectTransport/produce/consume/resumeConsumer,
// sfu.newProducer), so both are driven by the very same client code.
package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

type sigClient struct {
	conn    *websocket.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[int]chan sigResponse
	notes   chan map[string]any
	closed  chan struct{}
}

type sigResponse struct {
	OK    bool            `json:"ok"`
	Data  json.RawMessage `json:"data"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func dialSignaling(url string) (*sigClient, error) {
	d := websocket.Dialer{Subprotocols: []string{"duet.v1.json"}, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	c := &sigClient{conn: conn, pending: map[int]chan sigResponse{}, notes: make(chan map[string]any, 64), closed: make(chan struct{})}
	go c.readLoop()
	go func() { // the room pings every 5 s (docs/protocol.md); so does the generator
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-c.closed:
				return
			case <-t.C:
				go c.request("ping", map[string]any{}, nil)
			}
		}
	}()
	return c, nil
}

func (c *sigClient) readLoop() {
	defer close(c.closed)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var head struct {
			T  string `json:"t"`
			ID int    `json:"id"`
		}
		if json.Unmarshal(data, &head) != nil {
			continue
		}
		if head.T == "response" {
			var r sigResponse
			_ = json.Unmarshal(data, &r)
			c.mu.Lock()
			ch := c.pending[head.ID]
			delete(c.pending, head.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- r
			}
			continue
		}
		var note map[string]any
		if json.Unmarshal(data, &note) == nil {
			select {
			case c.notes <- note:
			default: // nobody listens to chat/speaker/presence noise: drop when full
			}
		}
	}
}

// request sends {t, id, ...fields} and decodes the answer's data into out (when not nil).
func (c *sigClient) request(t string, fields map[string]any, out any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan sigResponse, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	msg := map[string]any{"t": t, "id": id}
	for k, v := range fields {
		msg[k] = v
	}
	c.wmu.Lock()
	err := c.conn.WriteJSON(msg)
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	select {
	case r := <-ch:
		if !r.OK {
			if r.Error != nil {
				return fmt.Errorf("%s: %s: %s", t, r.Error.Code, r.Error.Message)
			}
			return fmt.Errorf("%s: refused", t)
		}
		if out != nil {
			return json.Unmarshal(r.Data, out)
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("%s: socket closed", t)
	case <-time.After(20 * time.Second):
		return fmt.Errorf("%s: no answer in 20 s", t)
	}
}

func (c *sigClient) close() {
	c.wmu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.conn.Close()
}
