package aio_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// pki is a CA and a leaf for 127.0.0.1 signed by it, made at test time.
type pki struct {
	server *tls.Config // holds the leaf
	client *tls.Config // trusts the CA
	caPEM  []byte
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "duet test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "duet test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &pki{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		client: &tls.Config{RootCAs: pool},
		caPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
	}
}

// version returns a copy of cfg limited to one TLS version.
func version(cfg *tls.Config, v uint16) *tls.Config {
	c := cfg.Clone()
	c.MinVersion, c.MaxVersion = v, v
	return c
}

var tlsVersions = []struct {
	name string
	v    uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

// Both ends duet protocols, TLS 1.2 and 1.3: bytes echo, the state says
// which version, a TLS transport cannot half-close, Close ends both ends
// in order.
func TestTLSEchoProtocols(t *testing.T) {
	p := newPKI(t)
	for _, tv := range tlsVersions {
		t.Run(tv.name, func(t *testing.T) {
			runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
				c := newRec()
				srv, tr, madep, err := tlsConnect(ctx, version(p.server, tv.v), p.client, echo, c)
				if err != nil {
					return err
				}
				defer srv.Close()
				made := *madep
				if c.t != tr {
					return errors.New("ConnectionMade did not get the TLS transport before CreateConnection returned")
				}
				st, ok := tr.(interface{ ConnectionState() tls.ConnectionState })
				if !ok {
					return fmt.Errorf("%T has no ConnectionState", tr)
				}
				if got := st.ConnectionState(); got.Version != tv.v || !got.HandshakeComplete || got.PeerCertificates[0].Subject.CommonName != "duet test server" {
					return fmt.Errorf("state: version %x complete %v", got.Version, got.HandshakeComplete)
				}
				if tr.CanWriteEOF() {
					return errors.New("CanWriteEOF true on TLS")
				}
				if err := tr.WriteEOF(); err == nil || !strings.Contains(err.Error(), "half-close") {
					return fmt.Errorf("WriteEOF = %v, want an error about half-close", err)
				}
				msg := bytes.Repeat([]byte("duet tls "), 1000)
				if err := tr.Writev([][]byte{msg[:10], msg[10:]}); err != nil {
					return err
				}
				if err := until(ctx, "the echo", func() bool { return len(c.data) >= len(msg) }); err != nil {
					return err
				}
				if !bytes.Equal(c.data, msg) {
					return errors.New("echo differs")
				}
				tr.Close()
				if err, _ := duet.Await(ctx, c.lost); err != nil {
					return fmt.Errorf("client ConnectionLost(%v), want nil", err)
				}
				// The server heard close_notify as the end of stream and closed.
				if err, _ := duet.Await(ctx, made[0].lost); err != nil || made[0].eofs != 1 {
					return fmt.Errorf("server: ConnectionLost(%v), %d EOFs", err, made[0].eofs)
				}
				if len(*reports) != 0 {
					return fmt.Errorf("reports: %v", *reports)
				}
				return nil
			})
		})
	}
}

// tlsConnect starts a TLS server with cfg whose connections get the
// protocols newProto makes, and connects c to it as a TLS client with
// ccfg; it returns the server, the client's transport and the server's
// protocols made so far (a pointer to the slice).
func tlsConnect[P aio.BaseProtocol](ctx context.Context, cfg, ccfg *tls.Config, newProto func() P, c *rec) (*aio.Server, aio.Transport, *[]P, error) {
	l := aio.LoopOf(ctx)
	var made []P
	srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
		p := newProto()
		made = append(made, p)
		return p
	}, aio.WithServerTLS(cfg))
	if err != nil {
		return nil, nil, nil, err
	}
	tr, _, err := l.CreateConnection(ctx, "tcp", srv.Addrs()[0].String(), func() aio.BaseProtocol { return c }, aio.WithTLS(ccfg))
	if err != nil {
		srv.Close()
		return nil, nil, nil, err
	}
	return srv, tr, &made, nil
}

// tlsStreams serves handler on a TLS Listen with cfg and dials it with
// ccfg; the caller closes both.
func tlsStreams(ctx context.Context, cfg, ccfg *tls.Config, handler func(context.Context, *aio.Stream) error) (*aio.Server, *aio.Stream, error) {
	srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", handler, aio.WithStreamTLS(cfg))
	if err != nil {
		return nil, nil, err
	}
	s, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String(), aio.WithStreamTLS(ccfg))
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return srv, s, nil
}

// tlsEcho is a stream handler that writes back what it reads.
func tlsEcho(ctx context.Context, s *aio.Stream) error {
	for {
		b, err := s.Read(ctx, 1<<16)
		if err != nil {
			return err
		}
		if err := s.Write(ctx, b); err != nil {
			return err
		}
		if err := s.Drain(ctx); err != nil {
			return err
		}
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// Several MB through a TLS echo, written by one task while another reads:
// every byte comes back in order, and Drain's back-pressure holds.
func TestTLSStreamsLargeBothWays(t *testing.T) {
	p := newPKI(t)
	const size = 6 << 20
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, s, err := tlsStreams(ctx, p.server, p.client, tlsEcho)
		if err != nil {
			return err
		}
		defer srv.Close()
		defer s.Close()
		data := pattern(size)
		w := aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			for off := 0; off < len(data); off += 100 << 10 {
				if err := s.Write(ctx, data[off:min(off+100<<10, len(data))]); err != nil {
					return struct{}{}, err
				}
				if err := s.Drain(ctx); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
		got, err := s.ReadExactly(ctx, size)
		if err != nil {
			return err
		}
		if _, err := duet.Await(ctx, w); err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return errors.New("the echoed bytes differ")
		}
		return nil
	})
}

// A duet TLS client against a crypto/tls server on a goroutine, and a
// crypto/tls client on a goroutine against a duet TLS server.
func TestTLSInteropWithCryptoTLS(t *testing.T) {
	p := newPKI(t)
	for _, tv := range tlsVersions {
		t.Run(tv.name, func(t *testing.T) {
			addr := peer(t, func(raw *net.TCPConn) {
				c := tls.Server(raw, version(p.server, tv.v))
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, strings.ToUpper(line))
			})
			runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
				// duet client, Go server.
				s, err := aio.Dial(ctx, "tcp", addr, aio.WithStreamTLS(p.client))
				if err != nil {
					return err
				}
				s.Write(ctx, []byte("hello go\n"))
				if err := wantLine("HELLO GO\n")(s.ReadLine(ctx)); err != nil {
					return err
				}
				if _, err := s.Read(ctx, 10); err != io.EOF {
					return fmt.Errorf("after the Go server closed: %v, want io.EOF", err)
				}
				if st, ok := s.ConnectionState(); !ok || st.Version != tv.v {
					return fmt.Errorf("ConnectionState: %v %x", ok, st.Version)
				}
				s.Close()
				if err := s.WaitClosed(ctx); err != nil {
					return err
				}
				// Go client, duet server.
				srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper, aio.WithStreamTLS(version(p.server, tv.v)))
				if err != nil {
					return err
				}
				defer srv.Close()
				got := inGoroutine(func(context.Context) error {
					c, err := tls.Dial("tcp", srv.Addrs()[0].String(), p.client)
					if err != nil {
						return err
					}
					defer c.Close()
					io.WriteString(c, "hello duet\n")
					line, err := bufio.NewReader(c).ReadString('\n')
					if err != nil || line != "HELLO DUET\n" {
						return fmt.Errorf("crypto/tls client read %q, %v", line, err)
					}
					if c.ConnectionState().Version != tv.v {
						return errors.New("wrong version")
					}
					return nil
				})
				return await(ctx, got)
			})
		})
	}
}

func wantLine(s string) func([]byte, error) error {
	return func(b []byte, err error) error { return want(b, err, s) }
}

// A client that does not trust the server's CA fails CreateConnection with
// an error naming TLS and the address and wrapping crypto/tls's; the
// server's side is reported in debug mode; no descriptor is left.
func TestTLSHandshakeFailureUnknownCA(t *testing.T) {
	p := newPKI(t)
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		made := 0
		srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol {
			r := newRec()
			r.onMade = func(*rec) { made++ }
			return r
		}, aio.WithServerTLS(p.server))
		if err != nil {
			return err
		}
		addr := srv.Addrs()[0].String()
		_, _, err = l.CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return newRec() }, aio.WithTLS(&tls.Config{RootCAs: x509.NewCertPool()}))
		var verr *tls.CertificateVerificationError
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), "TLS handshake") || !strings.Contains(err.Error(), addr) {
			return fmt.Errorf("CreateConnection = %v, want a TLS handshake error naming %s and wrapping x509's", err, addr)
		}
		if err := until(ctx, "the server's report", func() bool { return len(*reports) > 0 }); err != nil {
			return err
		}
		if r := (*reports)[0]; !strings.Contains(r.Message, "TLS") || !strings.Contains(r.Err.Error(), "bad certificate") {
			return fmt.Errorf("server report %q: %v", r.Message, r.Err)
		}
		srv.Close()
		if made != 0 {
			return errors.New("the server's protocol got ConnectionMade after a failed handshake")
		}
		return duet.WithTimeout(ctx, 5*time.Second, srv.WaitClosed)
	}, aio.WithDebug(time.Hour))
	if after := openFDs(t); after != before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// A peer that never speaks: the client's handshake times out (an error
// matching duet.ErrTimeout), and a duet server closes a client that
// never speaks.
func TestTLSHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	silent := peer(t, func(c *net.TCPConn) {
		io.Copy(io.Discard, c) // until the client gives up
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		_, _, err := l.CreateConnection(ctx, "tcp", silent, func() aio.BaseProtocol { return newRec() },
			aio.WithTLS(p.client, aio.WithHandshakeTimeout(100*time.Millisecond)))
		if !errors.Is(err, duet.ErrTimeout) || !strings.Contains(err.Error(), "WithHandshakeTimeout") {
			return fmt.Errorf("CreateConnection to a silent peer: %v, want a handshake timeout", err)
		}
		srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol { return newRec() },
			aio.WithServerTLS(p.server, aio.WithHandshakeTimeout(100*time.Millisecond)))
		if err != nil {
			return err
		}
		defer srv.Close()
		f := inGoroutine(func(context.Context) error {
			c, err := net.Dial("tcp", srv.Addrs()[0].String())
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			n, err := c.Read(make([]byte, 1))
			if n != 0 || err == nil || errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, syscall.EAGAIN) {
				return fmt.Errorf("silent client read %d, %v: want the server to close it", n, err)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return errors.New("the server did not close a client that never spoke")
			}
			return nil
		})
		return await(ctx, f)
	})
}

// A TLS connect cancelled during its handshake closes its socket.
func TestTLSConnectCancelledClosesSocket(t *testing.T) {
	p := newPKI(t)
	silent := peer(t, func(c *net.TCPConn) { io.Copy(io.Discard, c); c.Close() })
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		task := aio.Spawn(ctx, func(ctx context.Context) (aio.Transport, error) {
			tr, _, err := l.CreateConnection(ctx, "tcp", silent, func() aio.BaseProtocol { return newRec() }, aio.WithTLS(p.client))
			return tr, err
		})
		duet.Sleep(ctx, 50*time.Millisecond)
		task.Cancel("test")
		if _, err := duet.Await(ctx, task); !errors.Is(err, duet.ErrCancelled) {
			return fmt.Errorf("cancelled TLS connect: %v", err)
		}
		err := duet.WithTimeout(ctx, 50*time.Millisecond, func(ctx context.Context) error {
			_, _, err := l.CreateConnection(ctx, "tcp", silent, func() aio.BaseProtocol { return newRec() }, aio.WithTLS(p.client))
			return err
		})
		if !errors.Is(err, duet.ErrTimeout) {
			return fmt.Errorf("TLS connect under a timeout: %v", err)
		}
		return nil
	})
	// The silent peer closes its end once it hears ours close.
	settleFDs(t, before)
}

// settleFDs waits for the process's open descriptors to come back to
// before or fewer (a peer goroutine closes its end after hearing ours;
// earlier tests' descriptors may close meanwhile), and fails the test if
// they do not.
func settleFDs(t *testing.T, before int) {
	t.Helper()
	after := openFDs(t)
	for i := 0; i < 500 && after > before; i++ {
		time.Sleep(10 * time.Millisecond)
		after = openFDs(t)
	}
	if after > before {
		t.Errorf("open fds: %d before, %d after", before, after)
	}
}

// The STARTTLS case of cpython#142352: the client sends its "STARTTLS"
// line and its ClientHello in one write, before the server has read the
// line; the server's StartTLS takes the ClientHello from the stream's
// buffer and the upgrade works. Then the client side: a duet stream dialed
// in the clear upgrades against a crypto/tls server.
func TestTLSStartTLSKeepsBufferedBytes(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		handlers := 0
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			handlers++
			// Let the client's one write arrive whole before reading.
			if err := until(ctx, "the ClientHello", func() bool { return aio.BufferedForTest(s) > 50 }); err != nil {
				return err
			}
			if err := wantLine("STARTTLS\n")(s.ReadLine(ctx)); err != nil {
				return err
			}
			if err := s.StartTLS(ctx, p.server); err != nil {
				return err
			}
			return upper(ctx, s)
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		got := inGoroutine(func(context.Context) error {
			raw, err := net.Dial("tcp", srv.Addrs()[0].String())
			if err != nil {
				return err
			}
			cfg := p.client.Clone()
			cfg.ServerName = "127.0.0.1"
			c := tls.Client(&prefixConn{Conn: raw, prefix: []byte("STARTTLS\n")}, cfg)
			c.SetDeadline(time.Now().Add(20 * time.Second))
			defer c.Close()
			if _, err := io.WriteString(c, "secret\n"); err != nil {
				return err
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "SECRET\n" {
				return fmt.Errorf("after STARTTLS: %q, %v", line, err)
			}
			return nil
		})
		if err := await(ctx, got); err != nil {
			return err
		}
		if handlers != 1 {
			return fmt.Errorf("%d handler tasks for one connection (StartTLS's second ConnectionMade started one)", handlers)
		}
		return nil
	})
}

// prefixConn sends prefix with the first write: a "STARTTLS" line and the
// ClientHello in one segment.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Write(p []byte) (int, error) {
	if c.prefix != nil {
		b := append(c.prefix, p...)
		c.prefix = nil
		if _, err := c.Conn.Write(b); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// A duet stream dialed in the clear upgrades as a client, against a
// crypto/tls server that reads the "STARTTLS" line first; writes made
// during the handshake go out encrypted after it.
func TestTLSStartTLSClient(t *testing.T) {
	p := newPKI(t)
	addr := peer(t, func(c *net.TCPConn) {
		br := bufio.NewReader(c)
		if line, _ := br.ReadString('\n'); line != "STARTTLS\n" {
			return
		}
		c.Write([]byte("GO AHEAD\n"))
		tc := tls.Server(&readerConn{Conn: c, r: br}, p.server)
		defer tc.Close()
		br = bufio.NewReader(tc)
		line, _ := br.ReadString('\n')
		io.WriteString(tc, strings.ToUpper(line))
		io.Copy(io.Discard, br) // until the client closes
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, err := aio.Dial(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer s.Close()
		s.Write(ctx, []byte("STARTTLS\n"))
		if err := wantLine("GO AHEAD\n")(s.ReadLine(ctx)); err != nil {
			return err
		}
		if _, ok := s.ConnectionState(); ok {
			return errors.New("ConnectionState ok before StartTLS")
		}
		// A write from a goroutine during the handshake (the stream has no
		// transport then) waits for it.
		wrote := inGoroutine(func(gctx context.Context) error {
			for end := time.Now().Add(10 * time.Second); s.Transport() != nil && time.Now().Before(end); {
				runtime.Gosched()
			}
			return s.Write(gctx, []byte("upgraded\n"))
		})
		if err := s.StartTLS(ctx, p.client); err != nil {
			return err
		}
		if err := await(ctx, wrote); err != nil {
			return err
		}
		if err := wantLine("UPGRADED\n")(s.ReadLine(ctx)); err != nil {
			return err
		}
		// From a goroutine, with a context of no loop, StartTLS blocks
		// and runs as a task of the stream's loop.
		again := inGoroutine(func(gctx context.Context) error { return s.StartTLS(gctx, p.client) })
		if err := await(ctx, again); err == nil || !strings.Contains(err.Error(), "already") {
			return fmt.Errorf("second StartTLS, from a goroutine: %v", err)
		}
		st, ok := s.ConnectionState()
		if !ok || !st.HandshakeComplete {
			return errors.New("no TLS state after StartTLS")
		}
		return nil
	})
}

// readerConn reads through r (a bufio.Reader that may hold bytes already).
type readerConn struct {
	net.Conn
	r io.Reader
}

func (c *readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// A peer that completes the handshake and then neither reads nor sends
// close_notify: Close returns, and the connection is lost in order once
// close_notify is in the kernel; with megabytes the peer never takes, the
// shutdown timeout aborts it. Flow control pauses the writer meanwhile.
func TestTLSCloseWithSilentPeer(t *testing.T) {
	p := newPKI(t)
	release := make(chan struct{})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			c.(*net.TCPConn).SetReadBuffer(4096)
			tc := tls.Server(c, p.server)
			tc.Handshake() // and then nothing
			if len(held) == 2 {
				<-release
				return
			}
		}
	}()
	defer func() { close(release); ln.Close(); <-done }()
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		c := newRec()
		tr, _, err := l.CreateConnection(ctx, "tcp", ln.Addr().String(), func() aio.BaseProtocol { return c }, aio.WithTLS(p.client))
		if err != nil {
			return err
		}
		tr.Write([]byte("hello"))
		tr.Close()
		if !tr.IsClosing() {
			return errors.New("IsClosing false after Close")
		}
		if err, _ := duet.Await(ctx, c.lost); err != nil {
			return fmt.Errorf("Close with a silent peer: ConnectionLost(%v), want nil", err)
		}
		c2 := newRec()
		tr2, _, err := l.CreateConnection(ctx, "tcp", ln.Addr().String(), func() aio.BaseProtocol { return c2 },
			aio.WithTLS(p.client, aio.WithShutdownTimeout(200*time.Millisecond)))
		if err != nil {
			return err
		}
		chunk := make([]byte, 64<<10)
		for i := 0; i < 256 && !c2.paused; i++ {
			tr2.Write(chunk)
		}
		if c2.pauses != 1 || tr2.WriteBufferSize() <= 64<<10 {
			return fmt.Errorf("%d PauseWriting calls with %d bytes buffered, want 1 above the high watermark", c2.pauses, tr2.WriteBufferSize())
		}
		tr2.Close()
		err, _ = duet.Await(ctx, c2.lost)
		if !errors.Is(err, duet.ErrTimeout) || !strings.Contains(err.Error(), "unsent") {
			return fmt.Errorf("Close with megabytes unsent: ConnectionLost(%v), want the shutdown timeout", err)
		}
		return nil
	})
}

// net/http over duet TLS, both ways: an http.Server on a TLS NetListen
// (goroutine per connection, the loop doing the TLS), and an http.Client
// whose connections are TLS Dials (the NetConn of each stream).
func TestTLSNetHTTP(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		ln, err := aio.NetListen(ctx, "tcp", "127.0.0.1:0", aio.WithStreamTLS(p.server))
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello over "+r.URL.Path)
		})}
		served := inGoroutine(func(context.Context) error { hs.Serve(ln); return nil })
		// The loop's context, not the task's: a goroutine holding the
		// task's context while the task runs would pass for it.
		loopCtx := aio.LoopOf(ctx).Context()
		client := &http.Client{Transport: &http.Transport{
			DialTLSContext: func(_ context.Context, network, addr string) (net.Conn, error) {
				s, err := aio.Dial(loopCtx, network, addr, aio.WithStreamTLS(p.client))
				if err != nil {
					return nil, err
				}
				return s.NetConn(), nil
			},
		}}
		got := inGoroutine(func(context.Context) error {
			defer client.CloseIdleConnections()
			for _, path := range []string{"/a", "/b"} {
				resp, err := client.Get("https://" + ln.Addr().String() + path)
				if err != nil {
					return err
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "hello over "+path {
					return fmt.Errorf("GET %s: %q, %v", path, b, err)
				}
			}
			return nil
		})
		err = await(ctx, got)
		sd := inGoroutine(func(context.Context) error { return hs.Shutdown(context.Background()) })
		if e := await(ctx, sd); err == nil {
			err = e
		}
		await(ctx, served)
		return err
	})
}

// A panic in a TLS connection's DataReceived closes that connection only,
// reported through the exception handler; another connection goes on.
func TestTLSPanicInDataReceived(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		a, b := newRec(), newRec()
		srv, ta, madep, err := tlsConnect(ctx, p.server, p.client, func() *rec {
			r := echo()
			r.onData = func(r *rec, p []byte) {
				if bytes.Contains(p, []byte("boom")) {
					panic("boom")
				}
				r.t.Write(p)
			}
			return r
		}, a)
		if err != nil {
			return err
		}
		defer srv.Close()
		made := *madep
		tb, _, err := l.CreateConnection(ctx, "tcp", srv.Addrs()[0].String(), func() aio.BaseProtocol { return b }, aio.WithTLS(p.client))
		if err != nil {
			return err
		}
		defer tb.Close()
		ta.Write([]byte("boom"))
		err, _ = duet.Await(ctx, made[0].lost)
		var pe *duet.PanicError
		if !errors.As(err, &pe) {
			return fmt.Errorf("the panicking connection's ConnectionLost(%v), want a *duet.PanicError", err)
		}
		if _, err := duet.Await(ctx, a.lost); err != nil && !isReset(err) {
			return fmt.Errorf("the panicking connection's client: %v", err)
		}
		tb.Write([]byte("still here"))
		if err := until(ctx, "the other echo", func() bool { return string(b.data) == "still here" }); err != nil {
			return err
		}
		if len(*reports) != 1 || !strings.Contains((*reports)[0].Message, "TLS") {
			return fmt.Errorf("reports: %v", *reports)
		}
		return nil
	})
}

// The peer's end of stream without close_notify: at a record boundary it
// is the end of the stream (crypto/tls's rule), in the middle of a record
// an error matching io.ErrUnexpectedEOF.
func TestTLSPeerEOFWithoutCloseNotify(t *testing.T) {
	p := newPKI(t)
	for _, mid := range []bool{false, true} {
		addr := peer(t, func(c *net.TCPConn) {
			tc := tls.Server(c, p.server)
			if tc.Handshake() != nil {
				return
			}
			io.WriteString(tc, "bye")
			if mid {
				c.Write([]byte{23, 3, 3, 0, 40, 1, 2}) // a record's header and 2 of its 40 bytes
			}
			c.CloseWrite() // TCP's FIN, no close_notify
			io.Copy(io.Discard, c)
		})
		runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
			c := newRec()
			if _, _, err := aio.LoopOf(ctx).CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return c }, aio.WithTLS(p.client)); err != nil {
				return err
			}
			err, _ := duet.Await(ctx, c.lost)
			switch {
			case string(c.data) != "bye":
				return fmt.Errorf("got %q before the end", c.data)
			case !mid && (err != nil || c.eofs != 1):
				return fmt.Errorf("EOF at a record boundary: ConnectionLost(%v), %d EOFs", err, c.eofs)
			case mid && (!errors.Is(err, io.ErrUnexpectedEOF) || c.eofs != 0 || !strings.Contains(err.Error(), "middle of a record")):
				return fmt.Errorf("EOF mid-record: ConnectionLost(%v), %d EOFs", err, c.eofs)
			}
			return nil
		})
	}
}

// Extra information: the socket (Control only) and the TLS state, on the
// transport and on a stream.
func TestTLSExtraInfo(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		cfg, ccfg := p.server.Clone(), p.client.Clone()
		cfg.NextProtos, ccfg.NextProtos = []string{"duet/1"}, []string{"duet/1"}
		srv, s, err := tlsStreams(ctx, cfg, ccfg, tlsEcho)
		if err != nil {
			return err
		}
		defer srv.Close()
		defer s.Close()
		st, ok := s.ConnectionState()
		if !ok || st.NegotiatedProtocol != "duet/1" || len(st.PeerCertificates) == 0 {
			return fmt.Errorf("ConnectionState: ok %v, ALPN %q", ok, st.NegotiatedProtocol)
		}
		sc, ok := s.Transport().(interface {
			SyscallConn() (syscall.RawConn, error)
		})
		if !ok {
			return fmt.Errorf("%T has no SyscallConn", s.Transport())
		}
		rc, _ := sc.SyscallConn()
		var typ int
		var serr error
		if err := rc.Control(func(fd uintptr) { typ, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE) }); err != nil || serr != nil || typ != syscall.SOCK_STREAM {
			return fmt.Errorf("Control: %v, %v, SO_TYPE %d", err, serr, typ)
		}
		if err := rc.Read(func(uintptr) bool { return true }); !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("RawConn.Read = %v, want ErrUnsupported", err)
		}
		plain, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", tlsEcho)
		if err != nil {
			return err
		}
		defer plain.Close()
		ps, err := aio.Dial(ctx, "tcp", plain.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer ps.Close()
		if _, ok := ps.ConnectionState(); ok {
			return errors.New("a TCP stream says it is TLS")
		}
		if _, ok := ps.Transport().(interface{ ConnectionState() tls.ConnectionState }); ok {
			return errors.New("a TCP transport has ConnectionState")
		}
		return nil
	})
}

// Bad input: a server config without a certificate, StartTLS on things
// that cannot start it; each a clear error.
func TestTLSBadInput(t *testing.T) {
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		_, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol { return newRec() }, aio.WithServerTLS(&tls.Config{}))
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			return fmt.Errorf("a server config without a certificate: %v", err)
		}
		if _, err := l.StartTLS(ctx, nil, nil); err == nil || !strings.Contains(err.Error(), "nil transport") {
			return fmt.Errorf("StartTLS(nil): %v", err)
		}
		// A protocol that cannot receive, over TLS: refused when the
		// connection is made, as over TCP.
		p := newPKI(t)
		srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol { return echo() }, aio.WithServerTLS(p.server))
		if err != nil {
			return err
		}
		defer srv.Close()
		_, _, err = l.CreateConnection(ctx, "tcp", srv.Addrs()[0].String(), func() aio.BaseProtocol { return baseOnly{} }, aio.WithTLS(p.client))
		if err == nil || !strings.Contains(err.Error(), "neither Protocol nor BufferedProtocol") {
			return fmt.Errorf("a BaseProtocol over TLS: %v", err)
		}
		// A StartTLS refused before it starts leaves the stream as it was.
		plain, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", tlsEcho)
		if err != nil {
			return err
		}
		defer plain.Close()
		s, err := aio.Dial(ctx, "tcp", plain.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.StartTLS(ctx, &tls.Config{}, aio.WithServerSide(true)); err == nil || !strings.Contains(err.Error(), "certificate") {
			return fmt.Errorf("a server StartTLS without a certificate: %v", err)
		}
		s.Write(ctx, []byte("still clear\n"))
		return wantLine("still clear\n")(s.ReadLine(ctx))
	})
}

// baseOnly is a protocol that implements neither Protocol nor
// BufferedProtocol.
type baseOnly struct{}

func (baseOnly) ConnectionMade(aio.Transport) {}
func (baseOnly) ConnectionLost(error)         {}

// crypto/tls does not make a Temporary read error sticky: a Read that
// returned one returns the record once its bytes come. The TLS transport
// relies on that after the handshake (its pipe's would-block error); this
// pins it down against a change in Go.
func TestTLSConnResumesAfterTemporaryError(t *testing.T) {
	p := newPKI(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		s := tls.Server(b, p.server)
		if s.Handshake() == nil {
			s.Write([]byte("resumed"))
		}
	}()
	fc := &feedConn{Conn: a}
	cfg := p.client.Clone()
	cfg.ServerName = "127.0.0.1"
	c := tls.Client(fc, cfg)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	// From now on the conn hands out one byte per Read and a temporary
	// error in between: every record arrives across several errors.
	fc.trickle = true
	buf := make([]byte, 64)
	temps := 0
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if string(buf[:n]) != "resumed" {
				t.Fatalf("read %q", buf[:n])
			}
			break
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read: %v", err)
		}
		temps++
	}
	if temps < 5 {
		t.Fatalf("only %d temporary errors: the test did not trickle", temps)
	}
}

// feedConn, once trickling, alternates a temporary error and one byte.
type feedConn struct {
	net.Conn
	trickle bool
	odd     bool
}

type tempErr struct{}

func (tempErr) Error() string   { return "would block" }
func (tempErr) Timeout() bool   { return true }
func (tempErr) Temporary() bool { return true }

func (c *feedConn) Read(p []byte) (int, error) {
	if !c.trickle {
		return c.Conn.Read(p)
	}
	c.odd = !c.odd
	if c.odd {
		return 0, tempErr{}
	}
	return c.Conn.Read(p[:1])
}

// A BufferedProtocol server over TLS reads into its own small buffer;
// the bytes echo whole.
func TestTLSBufferedProtocol(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		c := newRec()
		srv, tr, made, err := tlsConnect(ctx, p.server, p.client, func() *bufEcho { return &bufEcho{lost: duet.NewFuture[error]()} }, c)
		if err != nil {
			return err
		}
		defer srv.Close()
		msg := pattern(50 << 10)
		tr.Write(msg)
		if err := until(ctx, "the echo", func() bool { return len(c.data) >= len(msg) }); err != nil {
			return err
		}
		tr.Close()
		if !bytes.Equal(c.data, msg) || (*made)[0].update < len(msg)/100 {
			return fmt.Errorf("echo equal %v after %d BufferUpdated calls", bytes.Equal(c.data, msg), (*made)[0].update)
		}
		return nil
	})
}

// Loop.StartTLS on a protocol's transport: the protocol gets
// ConnectionMade again with the TLS transport, then plaintext.
func TestTLSLoopStartTLS(t *testing.T) {
	p := newPKI(t)
	addr := peer(t, func(c *net.TCPConn) {
		br := bufio.NewReader(c)
		if line, _ := br.ReadString('\n'); line != "STARTTLS\n" {
			return
		}
		tc := tls.Server(&readerConn{Conn: c, r: br}, p.server)
		defer tc.Close()
		io.WriteString(tc, "welcome\n")
		io.Copy(io.Discard, tc)
	})
	silent := peer(t, func(c *net.TCPConn) { io.Copy(io.Discard, c) })
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		c := newRec()
		var transports []aio.Transport
		c.onMade = func(r *rec) { transports = append(transports, r.t) }
		tr, _, err := l.CreateConnection(ctx, "tcp", silent, func() aio.BaseProtocol { return c })
		if err != nil {
			return err
		}
		ttr, err := l.StartTLS(ctx, tr, p.client.Clone(), aio.WithServerSide(false))
		if err == nil || !strings.Contains(err.Error(), "ServerName") {
			return fmt.Errorf("StartTLS without a server name: %v, want crypto/tls's ServerName error", err)
		}
		if err, _ := duet.Await(ctx, c.lost); err == nil {
			return errors.New("the failed StartTLS did not end the connection with its error")
		}
		c = newRec()
		c.onMade = func(r *rec) { transports = append(transports, r.t) }
		transports = nil
		if tr, _, err = l.CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return c }); err != nil {
			return err
		}
		tr.Write([]byte("STARTTLS\n"))
		cfg := p.client.Clone()
		cfg.ServerName = "127.0.0.1"
		if ttr, err = l.StartTLS(ctx, tr, cfg); err != nil {
			return err
		}
		if len(transports) != 2 || transports[0] != tr || transports[1] != ttr {
			return fmt.Errorf("ConnectionMade got %v, want the TCP transport then the TLS one", transports)
		}
		if err := until(ctx, "the welcome", func() bool { return string(c.data) == "welcome\n" }); err != nil {
			return fmt.Errorf("%w: got %q", err, c.data)
		}
		if _, err := l.StartTLS(ctx, ttr, cfg); err == nil || !strings.Contains(err.Error(), "already") {
			return fmt.Errorf("StartTLS on TLS: %v", err)
		}
		ttr.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	})
}

// A loop that ends with TLS handshakes in progress, on both sides, ends
// them: no goroutine stays (goleak, in TestMain), no descriptor stays.
func TestTLSLoopCloseDuringHandshake(t *testing.T) {
	p := newPKI(t)
	silent := peer(t, func(c *net.TCPConn) { io.Copy(io.Discard, c); c.Close() })
	before := openFDs(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		srv, err := l.CreateServer(ctx, "tcp", "127.0.0.1:0", func() aio.BaseProtocol { return newRec() }, aio.WithServerTLS(p.server))
		if err != nil {
			return err
		}
		// A raw client that never speaks holds a server-side handshake.
		raw, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		_ = raw
		aio.Spawn(ctx, func(ctx context.Context) (aio.Transport, error) {
			tr, _, err := l.CreateConnection(ctx, "tcp", silent, func() aio.BaseProtocol { return newRec() }, aio.WithTLS(p.client))
			return tr, err
		})
		return duet.Sleep(ctx, 50*time.Millisecond)
	})
	settleFDs(t, before)
}

// CPython's ssl module as the client of a duet TLS server.
func TestTLSPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	p := newPKI(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, p.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=20) as s:
    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
        t.sendall(b"from python\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = t.recv(100)
            if not chunk:
                break
            buf += chunk
        print(t.version(), buf.decode().strip())
`
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper, aio.WithStreamTLS(p.server))
		if err != nil {
			return err
		}
		defer srv.Close()
		port := srv.Addrs()[0].(*net.TCPAddr).Port
		out, err := aio.ToThread(ctx, func(context.Context) ([]byte, error) {
			return exec.Command(py, "-c", script, ca, strconv.Itoa(port)).CombinedOutput()
		})
		if err != nil {
			return fmt.Errorf("python3: %v: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "TLSv1.3 FROM PYTHON" {
			return fmt.Errorf("python3 printed %q", got)
		}
		return nil
	})
}

// Under a virtual clock the handshake's work on its goroutine holds the
// clock: a short handshake timeout does not fire while the handshake
// computes, and the connection works.
func TestTLSVirtualClock(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		l := aio.LoopOf(ctx)
		start := l.Time()
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", upper, aio.WithStreamTLS(p.server, aio.WithHandshakeTimeout(time.Second)))
		if err != nil {
			return err
		}
		defer srv.Close()
		for range 3 {
			s, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String(), aio.WithStreamTLS(p.client, aio.WithHandshakeTimeout(time.Second)))
			if err != nil {
				return err
			}
			s.Write(ctx, []byte("tick\n"))
			if err := wantLine("TICK\n")(s.ReadLine(ctx)); err != nil {
				return err
			}
			s.Close()
		}
		if d := l.Time().Sub(start); d >= time.Second {
			return fmt.Errorf("the virtual clock moved %v during three handshakes", d)
		}
		return nil
	}, aio.WithVirtualClock())
}

// BenchmarkTLSThroughput: 64 KiB writes through TLS over loopback to a
// server that reads them all and answers one byte at the end; "duet" has
// both ends as streams of one loop (the TLS done on the loop),
// "duet-protocol" both ends as protocols of one loop (the writer follows
// PauseWriting and ResumeWriting), "crypto-tls" both ends as *tls.Conn on
// goroutines of their own, for comparison in one run.
func BenchmarkTLSThroughput(b *testing.B) {
	p := newPKI(b)
	chunk := pattern(64 << 10)
	sink := func(r io.Reader, w io.Writer, total int64) error {
		if _, err := io.CopyN(io.Discard, r, total); err != nil {
			return err
		}
		_, err := w.Write([]byte{'k'})
		return err
	}
	b.Run("duet", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		total := int64(b.N) * int64(len(chunk))
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			srv, s, err := tlsStreams(ctx, p.server, p.client, func(ctx context.Context, s *aio.Stream) error {
				for n := int64(0); n < total; {
					got, err := s.Read(ctx, 1<<20)
					if err != nil {
						return err
					}
					n += int64(len(got))
				}
				return s.Write(ctx, []byte{'k'})
			})
			if err != nil {
				return err
			}
			defer srv.Close()
			defer s.Close()
			b.ResetTimer()
			for range b.N {
				s.Write(ctx, chunk)
				if err := s.Drain(ctx); err != nil {
					return err
				}
			}
			_, err = s.ReadExactly(ctx, 1)
			b.StopTimer()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("duet-protocol", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		total := b.N * len(chunk)
		err := aio.Run(context.Background(), func(ctx context.Context) error {
			done := duet.NewFuture[struct{}]()
			got := 0
			c := newRec()
			sent := 0
			fill := func(r *rec) {
				for !r.paused && sent < b.N {
					r.t.Write(chunk)
					sent++
				}
			}
			c.onRes = fill
			c.onData = func(r *rec, p []byte) { done.SetResult(struct{}{}) }
			srv, tr, _, err := tlsConnect(ctx, p.server, p.client, func() *rec {
				r := newRec()
				r.onData = func(r *rec, p []byte) {
					r.data = r.data[:0]
					if got += len(p); got == total {
						r.t.Write([]byte{'k'})
					}
				}
				return r
			}, c)
			if err != nil {
				return err
			}
			defer srv.Close()
			b.ResetTimer()
			fill(c)
			if _, err := duet.Await(ctx, done); err != nil {
				return err
			}
			b.StopTimer()
			tr.Close()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("crypto-tls", func(b *testing.B) {
		b.SetBytes(int64(len(chunk)))
		total := int64(b.N) * int64(len(chunk))
		ln, err := tls.Listen("tcp", "127.0.0.1:0", p.server)
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			sink(c, c, total)
		}()
		c, err := tls.Dial("tcp", ln.Addr().String(), p.client)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ResetTimer()
		for range b.N {
			if _, err := c.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	})
}

// Flow control through TLS: a server that pauses reading makes the
// client's writes pile up above the high watermark (PauseWriting); once
// it resumes, what crypto/tls and the pipe held is delivered, the client
// hears ResumeWriting, and every byte arrives in order.
func TestTLSFlowControl(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		c := newRec()
		srv, tr, made, err := tlsConnect(ctx, p.server, p.client, func() *rec {
			r := newRec()
			r.onMade = func(r *rec) { r.t.PauseReading() }
			return r
		}, c)
		if err != nil {
			return err
		}
		defer srv.Close()
		if err := until(ctx, "the server's protocol", func() bool { return len(*made) == 1 && (*made)[0].t != nil }); err != nil {
			return err
		}
		sr := (*made)[0]
		data := pattern(8 << 20)
		off := 0
		for ; off < len(data) && !c.paused; off += 32 << 10 {
			tr.Write(data[off : off+32<<10])
		}
		if !c.paused {
			return errors.New("8 MB written to a peer that does not read, and no PauseWriting")
		}
		if sr.t.IsReading() || len(sr.data) != 0 {
			return fmt.Errorf("the paused server read %d bytes", len(sr.data))
		}
		c.onRes = func(r *rec) {
			for ; off < len(data) && !r.paused; off += 32 << 10 {
				r.t.Write(data[off : off+32<<10])
			}
		}
		sr.t.ResumeReading()
		if err := until(ctx, "every byte", func() bool { return len(sr.data) >= len(data) }); err != nil {
			return fmt.Errorf("%w: %d of %d bytes, %d resumes", err, len(sr.data), len(data), c.resumes)
		}
		if c.resumes == 0 || !bytes.Equal(sr.data, data) {
			return fmt.Errorf("%d ResumeWriting calls; bytes equal %v", c.resumes, bytes.Equal(sr.data, data))
		}
		tr.Close()
		_, err = duet.Await(ctx, c.lost)
		return err
	})
}

// Records that arrive in pieces: a crypto/tls peer whose socket writes
// are cut into 1 to 97 bytes, so that the loop sees records split across
// reads, the handshake's included; every byte arrives, in order.
func TestTLSRecordsInPieces(t *testing.T) {
	p := newPKI(t)
	data := pattern(256 << 10)
	addr := peer(t, func(c *net.TCPConn) {
		tc := tls.Server(&splitConn{Conn: c}, p.server)
		defer tc.Close()
		tc.Write(data)
		io.Copy(io.Discard, tc)
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		s, err := aio.Dial(ctx, "tcp", addr, aio.WithStreamTLS(p.client))
		if err != nil {
			return err
		}
		defer s.Close()
		got, err := s.ReadExactly(ctx, len(data))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return errors.New("the bytes differ")
		}
		return nil
	})
}

// splitConn writes in pieces of 1 to 97 bytes.
type splitConn struct {
	net.Conn
	n int
}

func (c *splitConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		c.n++
		k := min(len(p)-done, 1+c.n*31%97)
		if _, err := c.Conn.Write(p[done : done+k]); err != nil {
			return done, err
		}
		done += k
	}
	return done, nil
}

// A protocol that keeps the connection open after the peer's close_notify
// (EOFReceived returns true) still writes, and the peer reads it (TLS 1.3:
// crypto/tls's CloseWrite sends close_notify and keeps reading).
func TestTLSKeepOpenAfterCloseNotify(t *testing.T) {
	p := newPKI(t)
	heard := make(chan string, 1)
	addr := peer(t, func(c *net.TCPConn) {
		tc := tls.Server(c, version(p.server, tls.VersionTLS13))
		defer tc.Close()
		io.WriteString(tc, "over")
		tc.CloseWrite()
		b, _ := io.ReadAll(tc)
		heard <- string(b)
	})
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		c := newRec()
		c.onEOF = func(r *rec) bool { return true }
		tr, _, err := aio.LoopOf(ctx).CreateConnection(ctx, "tcp", addr, func() aio.BaseProtocol { return c }, aio.WithTLS(p.client))
		if err != nil {
			return err
		}
		if err := until(ctx, "close_notify", func() bool { return c.eofs == 1 }); err != nil {
			return err
		}
		// Later, from the task: the connection is still open for writing.
		if tr.IsClosing() {
			return errors.New("closing after EOFReceived returned true")
		}
		if err := tr.Write([]byte("and out")); err != nil {
			return err
		}
		tr.Close()
		if err, _ := duet.Await(ctx, c.lost); err != nil || string(c.data) != "over" || c.eofs != 1 {
			return fmt.Errorf("ConnectionLost(%v) after %q and %d EOFs", err, c.data, c.eofs)
		}
		got := inGoroutine(func(context.Context) error {
			if s := <-heard; s != "and out" {
				return fmt.Errorf("the peer read %q after its close_notify", s)
			}
			return nil
		})
		return await(ctx, got)
	})
}

// A handler whose StartTLS failed (the peer speaks no TLS) returns the
// error: it is reported under the handler's name, the peer's address, and
// the stream still tells its addresses, which its transport, set aside
// for the handshake, no longer gives.
func TestTLSStartTLSFailedHandlerReported(t *testing.T) {
	p := newPKI(t)
	runTCP(t, func(ctx context.Context, reports *[]aio.ExceptionContext) error {
		type seen struct{ local, remote net.Addr }
		got := duet.NewFuture[seen]()
		srv, err := aio.Listen(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *aio.Stream) error {
			err := s.StartTLS(ctx, p.server)
			got.SetResult(seen{s.LocalAddr(), s.RemoteAddr()})
			return err
		})
		if err != nil {
			return err
		}
		defer srv.Close()
		c, err := aio.Dial(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Write(ctx, bytes.Repeat([]byte("not a ClientHello\n"), 8)); err != nil {
			return err
		}
		g, err := duet.Await(ctx, got)
		if err != nil {
			return err
		}
		if g.remote == nil || g.remote.String() != c.LocalAddr().String() || g.local == nil || g.local.String() != c.RemoteAddr().String() {
			return fmt.Errorf("after a failed StartTLS the server's stream is %v <- %v; the client's %v -> %v", g.local, g.remote, c.LocalAddr(), c.RemoteAddr())
		}
		want := "conn " + c.LocalAddr().String()
		if err := until(ctx, "the handler's report", func() bool { return len(*reports) > 0 }); err != nil {
			return err
		}
		if r := (*reports)[0]; r.Task != want || r.Err == nil {
			return fmt.Errorf("report %q for task %q, want one for %q", r.Err, r.Task, want)
		}
		return nil
	})
}
