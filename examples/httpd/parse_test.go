package main

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseRequest(t *testing.T) {
	cases := []struct {
		in   string
		want request
		err  error
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", request{"GET", "/", true, 27}, nil},
		{"GET /a HTTP/1.0\r\n\r\n", request{"GET", "/a", false, 19}, nil},
		{"GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", request{"GET", "/a", true, 43}, nil},
		{"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", request{"GET", "/", false, 37}, nil},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET", request{"POST", "/", true, 41}, nil},
		{"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab", request{}, errNeedMore},
		{"GET / HTTP/1.1\r\nHost: x\r\n", request{}, errNeedMore},
		{"GET / HTTP/2.0\r\n\r\n", request{}, errMalformed},
		{"GET /\r\n\r\n", request{}, errMalformed},
		{"GE(T / HTTP/1.1\r\n\r\n", request{}, errMalformed},
		{"GET / HTTP/1.1\r\nbad header\r\n\r\n", request{}, errMalformed},
		{"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", request{}, errMalformed},
		{"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", request{}, errMalformed},
	}
	for _, c := range cases {
		got, err := parseRequest([]byte(c.in))
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("parseRequest(%q) = %+v, %v; want %+v, %v", c.in, got, err, c.want, c.err)
		}
	}
	long := make([]byte, maxHead+10)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := parseRequest(long); !errors.Is(err, errTooLarge) {
		t.Errorf("endless head: %v", err)
	}
}

// FuzzParseRequest: the parser never panics, never claims more bytes than
// it was given, and gives the same answer for every prefix that holds the
// whole request (a request arriving in pieces parses as it would at once).
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST /p HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhiGET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := parseRequest(in)
		if err != nil {
			if !errors.Is(err, errNeedMore) && !errors.Is(err, errMalformed) && !errors.Is(err, errTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if req.size <= 0 || req.size > len(in) {
			t.Fatalf("size %d of %d bytes", req.size, len(in))
		}
		again, err := parseRequest(in[:req.size])
		if err != nil || again != req {
			t.Fatalf("the request alone parses as %+v, %v; with what follows, %+v", again, err, req)
		}
		if req.size > 1 {
			if _, err := parseRequest(in[:req.size-1]); !errors.Is(err, errNeedMore) && !errors.Is(err, errMalformed) {
				t.Fatalf("a strict prefix gave %v", err)
			}
		}
	})
}
