package main

import (
	"bytes"
	"errors"
	"strconv"
)

// request is what the responder needs of an HTTP/1.x request: its method
// and target, whether the connection stays open after the response, and
// how long the request is on the wire (head and body).
type request struct {
	method, target string
	keepAlive      bool
	size           int
}

// maxHead bounds a request head: a client that sends more without ending
// its head is refused rather than buffered without limit.
const maxHead = 8 << 10

var (
	errNeedMore  = errors.New("httpd: incomplete request")
	errMalformed = errors.New("httpd: malformed request")
	errTooLarge  = errors.New("httpd: request head over 8 KiB")
)

// parseRequest parses the request at the front of buf. It returns
// errNeedMore when buf holds only part of it (read more and call again
// with everything buffered), errMalformed or errTooLarge for a request
// that cannot be served (answer 400 and close). It never keeps buf.
func parseRequest(buf []byte) (request, error) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) > maxHead {
			return request{}, errTooLarge
		}
		return request{}, errNeedMore
	}
	if end > maxHead {
		return request{}, errTooLarge
	}
	head := buf[:end]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 || !validToken(method) {
		return request{}, errMalformed
	}
	var keep bool
	switch string(proto) {
	case "HTTP/1.1":
		keep = true
	case "HTTP/1.0":
	default:
		return request{}, errMalformed
	}
	bodyLen := 0
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok || len(name) == 0 || !validToken(name) {
			return request{}, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || n > 1<<30 {
				return request{}, errMalformed
			}
			bodyLen = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return request{}, errMalformed // chunked bodies are not served
		case bytes.EqualFold(name, []byte("Connection")):
			switch {
			case bytes.EqualFold(value, []byte("close")):
				keep = false
			case bytes.EqualFold(value, []byte("keep-alive")):
				keep = true
			}
		}
	}
	size := end + 4 + bodyLen
	if len(buf) < size {
		return request{}, errNeedMore
	}
	return request{method: string(method), target: string(target), keepAlive: keep, size: size}, nil
}

// validToken reports whether b is an RFC 9110 token (methods, header
// names).
func validToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0 {
			return false
		}
	}
	return true
}
