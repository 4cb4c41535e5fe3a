package aio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/internal/park"
)

// handshake makes the TLS transport of proto, has start put it on its raw
// transport (which starts the handshake), and waits for the handshake.
// When it fails, or ctx ends first, the connection is closed (aborted for
// ctx) before handshake returns the error.
func (l *Loop) handshake(ctx context.Context, proto BaseProtocol, cfg *tls.Config, server bool, o tlsOpts, start func(*tlsTransport)) (*tlsTransport, error) {
	tt := newTLSTransport(l, proto, cfg, server, o, nil)
	done := duet.NewFuture[struct{}]()
	tt.onHandshake = func(err error) { done.Complete(struct{}{}, err) }
	start(tt)
	if _, err := duet.Await(ctx, done); err != nil {
		tt.fail(fmt.Errorf("aio: TLS handshake with %s stopped: %w", tt.peer, err), true)
		return nil, err
	}
	return tt, nil
}

// StartTLS puts TLS over t, an open TCP transport of l, and returns the
// TLS transport once the handshake is done (Python: loop.start_tls). The
// protocol of t stays the connection's protocol: its ConnectionMade is
// called a second time, with the TLS transport, before it gets any
// plaintext (asyncio makes the caller rebind instead, which leaves a
// window where data arrives for a protocol still holding the old
// transport). t must not be written from then on: its bytes would break
// the TLS stream. Bytes t has already delivered to the protocol are not
// TLS bytes; Stream.StartTLS takes a stream's received bytes into the
// handshake.
//
// StartTLS is a TLS client unless WithServerSide(true) is given; a client
// cfg needs ServerName or InsecureSkipVerify, a server cfg a certificate.
// cfg is cloned. When the handshake fails, times out
// (WithHandshakeTimeout) or ctx ends first, the connection is closed, the
// protocol's ConnectionLost gets the error, and StartTLS returns it.
// Call it from a task of l, with that task's ctx.
func (l *Loop) StartTLS(ctx context.Context, t Transport, cfg *tls.Config, opts ...TLSOption) (Transport, error) {
	return l.startTLS(ctx, t, cfg, makeTLSOpts(opts), false, "", nil)
}

// startTLS is StartTLS with the defaults of a stream: the side, the
// server name, and take, which runs once the checks pass and returns the
// bytes received before, the first of the TLS stream.
func (l *Loop) startTLS(ctx context.Context, t Transport, cfg *tls.Config, o tlsOpts, server bool, host string, take func() []byte) (Transport, error) {
	fail := func(err error) (Transport, error) { return nil, fmt.Errorf("aio: StartTLS: %w", err) }
	if ctx == nil {
		return nil, nilCtx("StartTLS")
	}
	switch {
	case l.IsClosed():
		return fail(errLoopClosed)
	case !l.onLoop():
		return fail(errNotOnLoopIO)
	}
	raw, ok := t.(*tcpTransport)
	switch {
	case t == nil:
		return fail(errors.New("nil transport"))
	case !ok:
		if _, tls := t.(*tlsTransport); tls {
			return fail(errors.New("the transport is a TLS transport already"))
		}
		return fail(fmt.Errorf("a %T transport cannot start TLS (only aio's TCP transports can)", t))
	case raw.l != l:
		return fail(errors.New("the transport belongs to another loop"))
	case raw.closing:
		return fail(errTransportClosed)
	}
	if o.server != 0 {
		server = o.server == 1 // WithServerSide overrides the caller's default
	}
	if server {
		var err error
		if cfg, err = serverConfig(cfg); err != nil {
			return fail(err)
		}
	} else {
		cfg = clientConfig(cfg, host)
	}
	var pre []byte
	if take != nil {
		pre = take()
	}
	tt, err := l.handshake(ctx, raw.proto(), cfg, server, o, func(tt *tlsTransport) {
		tt.appMade = true
		tt.rawPaused, tt.wpaused = raw.wpaused, raw.wpaused
		if srv := raw.srv; srv != nil {
			// The server closes and counts the TLS transport now, so that
			// CloseClients sends close_notify; attach before detaching
			// keeps WaitClosed from seeing no connection in between.
			tt.srv = srv
			srv.attach(tt)
			srv.remove(raw)
			raw.srv = nil
		}
		raw.setProtocol((*tlsLower)(tt))
		raw.ResumeReading()
		if raw.eofIn {
			tt.pipe.setEOF()
		}
		tt.attach(raw, pre)
	})
	if err != nil {
		return fail(err)
	}
	return tt, nil
}

// StartTLS upgrades the stream's connection to TLS (Python: await
// writer.start_tls(sslcontext)), for protocols that negotiate it in the
// clear first (SMTP's and IMAP's STARTTLS, PostgreSQL's SSLRequest). It
// first drains what was written before; then the bytes the stream has
// received and not yet read become the first bytes of the handshake, so a
// peer that sent its "STARTTLS" line and its ClientHello in one write
// loses nothing (CPython's start_tls drops them: cpython#142352). Once the
// handshake is done, reads give plaintext and writes are encrypted; the
// stream's limit, its NetConn view and its methods stay as they were.
// Writes made during the handshake wait and go out encrypted after it.
//
// The stream is a TLS server when a Listen or NetListen handler got it,
// a client when Dial made it (the server name defaulting to Dial's host);
// WithServerSide chooses otherwise. cfg is cloned. No read may be waiting
// when StartTLS is called (it would take cleartext or plaintext as it
// happens), and the bytes a read should see in the clear must have been
// read. When the handshake fails or times out (WithHandshakeTimeout), or
// ctx ends first, the connection is closed with that error, which
// StartTLS returns and later reads and writes give.
//
// From a task of the stream's loop it suspends the task; from anywhere
// else it blocks, the upgrade running as a task of the loop.
func (s *Stream) StartTLS(ctx context.Context, cfg *tls.Config, opts ...TLSOption) error {
	if ctx == nil {
		return nilCtx("Stream.StartTLS")
	}
	o := makeTLSOpts(opts)
	_, err := runOnLoop(ctx, s.l, "aio.Stream.StartTLS", func(ctx context.Context) (struct{}, error) {
		if err := s.Drain(ctx); err != nil {
			return struct{}{}, fmt.Errorf("aio: StartTLS: %w", err)
		}
		s.mu.Lock()
		tr, err := s.tr, s.writeErrLocked()
		if tr == nil && err == nil {
			err = errors.New("aio: StartTLS: the stream is not connected")
		}
		server, host := s.server, ""
		if s.rare != nil {
			host = s.rare.host
		}
		s.mu.Unlock()
		if err != nil {
			return struct{}{}, err
		}
		_, err = s.l.startTLS(ctx, tr, cfg, o, server, host, func() []byte {
			s.mu.Lock()
			defer s.mu.Unlock()
			// Writes wait in the stream until the TLS transport's
			// ConnectionMade; the transport reads for the handshake.
			// Its addresses stay the stream's meanwhile.
			r := s.rareLocked()
			r.addrs, r.laddr, r.raddr = true, tr.LocalAddr(), tr.RemoteAddr()
			s.tr, s.readPaused = nil, false
			return s.buf.take(len(s.buf.unread()))
		})
		return struct{}{}, err
	})
	return err
}

// ConnectionState returns the TLS state of the stream's connection, and
// false when it is not TLS (yet): Python's get_extra_info("ssl_object"),
// ("peercert"), ("cipher"). Safe from anywhere.
func (s *Stream) ConnectionState() (tls.ConnectionState, bool) {
	s.mu.Lock()
	tt, ok := s.tr.(*tlsTransport)
	s.mu.Unlock()
	if !ok {
		return tls.ConnectionState{}, false
	}
	return tt.ConnectionState(), true
}

// runOnLoop runs fn on l: at once, with ctx, on a task of l; else as a
// task of l named name, which the caller awaits (a goroutine blocks, a
// task of another loop suspends). The task runs under ctx when ctx is of
// l, else under l's context and is cancelled when ctx ends.
func runOnLoop[T any](ctx context.Context, l *Loop, name string, fn func(context.Context) (T, error)) (T, error) {
	if t, ok := park.Current(ctx).(*task); ok && t.loop == l {
		return fn(ctx)
	}
	if loopFrom(ctx) == l {
		return duet.Await(ctx, Spawn(ctx, fn, WithName(name)))
	}
	t := Spawn(l.Context(), fn, WithName(name))
	defer context.AfterFunc(ctx, func() { t.Cancel(context.Cause(ctx).Error()) })()
	return duet.Await(ctx, t)
}
