// Command chat is a line-based chat server on duet's event loop: every
// line a client sends goes to every other client, prefixed with the
// sender's name. All connections live on one loop, so the set of members
// is plain state that its Protocols share without a lock: the loop runs
// their callbacks one at a time (asyncio's single-threaded model).
//
//	go run ./examples/chat -addr 127.0.0.1:7008
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

	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/examples/internal/demo"
)

func main() {
	addr := demo.Flags("chat", "127.0.0.1:7008")
	demo.Main("chat", func(ctx context.Context) error {
		r := &room{members: map[*member]struct{}{}}
		return demo.Listen(ctx, addr, func() aio.BaseProtocol { return &member{room: r} })
	})
}

// maxLine bounds a line a client may send, so that one who never ends a
// line cannot grow the server's memory without limit.
const maxLine = 4 << 10

// room is the set of connected members; only the loop touches it.
type room struct{ members map[*member]struct{} }

func (r *room) broadcast(from *member, line string) {
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
	t.Write([]byte(fmt.Sprintf("welcome, %s (%d here)\n", m.name, len(m.room.members))))
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
		m.room.broadcast(m, m.name+" left\n")
	}
}
