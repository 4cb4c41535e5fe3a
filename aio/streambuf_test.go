package aio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

var fuzzSeps = [][]byte{[]byte("\n"), []byte("\r\n"), []byte("ab"), []byte("b")}

// readScript runs the reads that script encodes on a buffer fed input in
// the chunks sizes gives (all at once when sizes is empty), then the end of
// the stream, and returns one line per read.
func readScript(input []byte, sizes []int, limit int, script []byte) []string {
	b := &recvBuf{limit: limit}
	rest := input
	feedMore := func() {
		if len(rest) == 0 {
			b.feedEOF()
			return
		}
		n := len(rest)
		if len(sizes) > 0 {
			n = min(n, 1+sizes[0]%17)
			sizes = append(sizes[1:], sizes[0])
		}
		b.feed(rest[:n])
		rest = rest[n:]
	}
	if len(sizes) == 0 {
		feedMore()
		feedMore()
	}
	var out []string
	for i := 0; i+1 < len(script); i += 2 {
		op, arg := script[i]%3, int(script[i+1])
		var p []byte
		var err error
		ok := false
		scan := 0
		for !ok {
			switch op {
			case 0:
				p, err, ok = b.tryReadExactly(arg % 9)
			case 1:
				var seps [][]byte
				for k, s := range fuzzSeps {
					if arg&(1<<k) != 0 {
						seps = append(seps, s)
					}
				}
				if len(seps) == 0 {
					seps = fuzzSeps[:1]
				}
				p, err, ok = b.tryReadUntil(seps, &scan)
			case 2:
				p, err, ok = b.tryReadLine(&scan)
			}
			if !ok {
				if b.eof {
					panic("a read needs more bytes after the end of the stream")
				}
				feedMore()
			}
		}
		out = append(out, fmt.Sprintf("op%d(%d) %q %s", op, arg, p, describe(err)))
	}
	return out
}

func describe(err error) string {
	var inc *IncompleteReadError
	var lim *LimitOverrunError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &inc):
		return fmt.Sprintf("incomplete(%q, %d)", inc.Partial, inc.Expected)
	case errors.As(err, &lim):
		return fmt.Sprintf("overrun(%d, %d)", lim.Limit, lim.Consumed)
	}
	return err.Error()
}

// FuzzStreamReadsChunking: ReadExactly, ReadUntil (one or several
// separators) and ReadLine give the same results, errors included,
// however the input is chunked as it arrives.
func FuzzStreamReadsChunking(f *testing.F) {
	f.Add([]byte("hello\nworld\r\nabc"), []byte{1, 2, 3}, uint8(8), []byte{2, 0, 1, 3, 0, 4, 2, 0})
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaab\nshort\n"), []byte{0}, uint8(4), []byte{2, 0, 2, 0, 2, 0})
	f.Add([]byte("xxbxxab\r\n"), []byte{5, 0, 2}, uint8(3), []byte{1, 12, 1, 15, 0, 8})
	f.Add([]byte("no separator at all"), []byte{3}, uint8(100), []byte{1, 1, 0, 3})
	f.Fuzz(func(t *testing.T, input, chunks []byte, limit uint8, script []byte) {
		if len(script) > 64 {
			script = script[:64]
		}
		sizes := make([]int, len(chunks))
		for i, c := range chunks {
			sizes[i] = int(c)
		}
		if len(sizes) == 0 {
			sizes = []int{0}
		}
		whole := readScript(input, nil, int(limit), script)
		chunked := readScript(input, sizes, int(limit), script)
		if strings.Join(whole, "\n") != strings.Join(chunked, "\n") {
			t.Fatalf("chunking changed the reads\nwhole:   %q\nchunked: %q", whole, chunked)
		}
	})
}

func TestStreamReadSemantics(t *testing.T) {
	b := &recvBuf{limit: 5}
	b.feed([]byte("ab\r\nlonglongline\nx"))
	scan := 0
	if p, err, ok := b.tryReadUntil([][]byte{[]byte("\n"), []byte("\r\n")}, &scan); !ok || err != nil || string(p) != "ab\r\n" {
		t.Fatalf("ReadUntil(\\n, \\r\\n) = %q %v %v", p, err, ok)
	}
	scan = 0
	_, err, _ := b.tryReadLine(&scan)
	var lim *LimitOverrunError
	if !errors.As(err, &lim) || lim.Limit != 5 || !strings.Contains(err.Error(), "raise the limit") {
		t.Fatalf("over-long line: %v", err)
	}
	scan = 0
	if p, err, ok := b.tryReadLine(&scan); ok || err != nil || p != nil {
		t.Fatalf("after the over-long line, with no newline yet: %q %v %v", p, err, ok)
	}
	b.feedEOF()
	if p, err, ok := b.tryReadLine(&scan); !ok || err != nil || string(p) != "x" {
		t.Fatalf("last partial line: %q %v %v", p, err, ok)
	}
	if p, err, ok := b.tryReadExactly(3); !ok || !errors.Is(err, io.ErrUnexpectedEOF) || len(p) != 0 {
		t.Fatalf("ReadExactly at EOF: %q %v %v", p, err, ok)
	}
	if p, ok := b.tryRead(4); !ok || p != nil {
		t.Fatalf("Read at EOF: %q %v", p, ok)
	}
}

// The bytes a read returns are the caller's: later feeds never change them.
func TestStreamReadResultsAreOwned(t *testing.T) {
	b := &recvBuf{limit: 1 << 10}
	b.feed([]byte("abcdef"))
	p, _ := b.tryRead(3)
	q, _, _ := b.tryReadExactly(2)
	for range 10 {
		b.feed(bytes.Repeat([]byte("Z"), 100))
		b.tryRead(50)
	}
	if string(p) != "abc" || string(q) != "de" {
		t.Fatalf("results changed under their owner: %q %q", p, q)
	}
}
