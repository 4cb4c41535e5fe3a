// Command chat is a line-based chat server on duet's event loop: every
// line a client sends goes to every other client, prefixed with the
// sender's name. The connections of one loop share their room as plain
// state, without a lock: the loop runs their callbacks one at a time
// (asyncio's single-threaded model). With -loops N, N loops serve the
// address and each keeps a room of its own; a line goes to the other
// loops' rooms as a callback on each of them (CallSoonThreadsafe), so
// that every room is still touched by its own loop only.
//
//	go run ./examples/chat -addr 127.0.0.1:7008 [-loops 2]
//	nc 127.0.0.1 7008        # in several terminals
//
// A client is named after its address; "/name NEW" renames it. A line over
// 4 KiB ends that client's connection. It prints "listening on ADDR" once
// it accepts connections and exits with status 0 on SIGINT or SIGTERM.
package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/examples/internal/demo"
)

func main() {
	addr, loops := demo.Flags("chat", "127.0.0.1:7008")
	h := &hub{}
	demo.Main("chat", loops, func(ctx context.Context) error {
		r := h.join(ctx)
		return demo.Listen(ctx, addr, func() aio.BaseProtocol { return &member{room: r} })
	})
}

// hub is the set of rooms, one per loop; rooms join it as their loops
// start, and it counts the members of all of them.
type hub struct {
	mu    sync.Mutex
	rooms []*room
	count atomic.Int64
}

func (h *hub) join(ctx context.Context) *room {
	r := &room{l: aio.LoopOf(ctx), hub: h, members: map[*member]struct{}{}}
	if i, n, ok := aio.LoopIndex(ctx); ok {
		r.where = fmt.Sprintf("; loop %d of %d", i, n) // told in the welcome
	}
	h.mu.Lock()
	h.rooms = append(h.rooms, r)
	h.mu.Unlock()
	return r
}

func (h *hub) others(r *room) []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*room, 0, len(h.rooms))
	for _, o := range h.rooms {
		if o != r {
			out = append(out, o)
		}
	}
	return out
}

// maxLine bounds a line a client may send, so that one who never ends a
// line cannot grow the server's memory without limit.
const maxLine = 4 << 10

// room is the set of members connected to one loop; only that loop
// touches it.
type room struct {
	l       *aio.Loop
	hub     *hub
	where   string
	members map[*member]struct{}
}

// broadcast sends line to every member but from: this room's now, the
// other loops' rooms from a callback on each of those loops.
func (r *room) broadcast(from *member, line string) {
	r.deliver(from, line)
	for _, o := range r.hub.others(r) {
		o.l.CallSoonThreadsafe(func() { o.deliver(from, line) })
	}
}

func (r *room) deliver(from *member, line string) {
	for m := range r.members {
		if m != from {
			m.t.Write([]byte(line))
		}
	}
}

// member is one client's connection. DataReceived's bytes are lent: the
// unfinished line is kept in partial, a copy.
type member struct {
	room    *room
	t       aio.Transport
	name    string
	partial []byte
}

func (m *member) ConnectionMade(t aio.Transport) {
	m.t = t
	m.name = t.RemoteAddr().String()
	m.room.members[m] = struct{}{}
	t.Write([]byte(fmt.Sprintf("welcome, %s (%d here%s)\n", m.name, m.room.hub.count.Add(1), m.room.where)))
	m.room.broadcast(m, m.name+" joined\n")
}

func (m *member) DataReceived(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			m.partial = append(m.partial, p...)
			if len(m.partial) > maxLine {
				m.t.Write([]byte("line too long: bye\n"))
				m.t.Close()
			}
			return
		}
		line := string(append(m.partial, p[:i]...))
		m.partial = m.partial[:0]
		p = p[i+1:]
		m.say(strings.TrimRight(line, "\r"))
	}
}

func (m *member) say(line string) {
	if name, ok := strings.CutPrefix(line, "/name "); ok && strings.TrimSpace(name) != "" {
		old := m.name
		m.name = strings.TrimSpace(name)
		m.room.broadcast(nil, old+" is now "+m.name+"\n")
		return
	}
	m.room.broadcast(m, m.name+": "+line+"\n")
}

func (m *member) EOFReceived() bool { return false }

func (m *member) ConnectionLost(error) {
	if _, ok := m.room.members[m]; ok {
		delete(m.room.members, m)
		m.room.hub.count.Add(-1)
		m.room.broadcast(m, m.name+" left\n")
	}
}
