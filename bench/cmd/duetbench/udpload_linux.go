package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"time"
)

// udpResend is how long a flow waits for its echo before it counts the
// datagram lost and sends another: UDP may drop either way, and a flow
// must not stall on one loss. Each datagram carries its flow's sequence
// number, so that the late echo of one given up on is recognised and
// dropped: a flow keeps one datagram in flight, whatever the losses.
const udpResend = 500 * time.Millisecond

// cmdUDPLoad is the udp section's load generator: c flows, each a
// connected UDP socket with one size-byte datagram in flight, sending the
// next once the echo is back, for warmup + d; only the echoes completed in
// the d window count. Like echoload it is one thread over epoll, so that
// its own cost stays a send and a receive per datagram.
func cmdUDPLoad(args []string) error {
	return runGenerator("udpload", "flows (sockets), each with one datagram in flight", args, func(f genFlags) (any, error) {
		return udpLoad(f.addr, f.c, f.size, f.warm, f.dur, f.pid)
	})
}

func udpLoad(addr string, c, size int, warm, dur time.Duration, pid int) (udpResult, error) {
	res := udpResult{loadResult: loadResult{Conns: c, ClkTck: clkTck()}}
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return res, err
	}
	sa := &syscall.SockaddrInet4{Port: ua.Port}
	copy(sa.Addr[:], ua.IP.To4())
	runtime.LockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return res, err
	}
	defer syscall.Close(ep)
	var fds, idx []int
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	for range c {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return res, err
		}
		if err := syscall.Connect(fd, sa); err != nil {
			syscall.Close(fd)
			return res, err
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			syscall.Close(fd)
			return res, err
		}
		for len(idx) <= fd {
			idx = append(idx, -1)
		}
		idx[fd] = len(fds)
		fds = append(fds, fd)
	}
	fail := func(err error) {
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
	size = max(size, 8) // room for the sequence number
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	buf := make([]byte, 64<<10)
	sent := make([]time.Time, len(fds))
	seq := make([]uint64, len(fds))
	lat := make([]int64, 0, 1<<20)
	send := func(i int) {
		seq[i]++
		binary.LittleEndian.PutUint64(msg, seq[i])
		sent[i] = time.Now()
		// A refused send (ECONNREFUSED after an ICMP error, ENOBUFS) is
		// an error; the flow's resend timer tries again.
		if _, err := syscall.Write(fds[i], msg); err != nil {
			fail(fmt.Errorf("send: %w", err))
		}
	}
	win := newWindow(time.Now(), warm, dur, pid)
	for i := range fds {
		send(i)
	}
	lastScan := time.Now()
	events := make([]syscall.EpollEvent, 512)
	for {
		n, err := syscall.EpollWait(ep, events, 10)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return res, err
		}
		for _, ev := range events[:max(n, 0)] {
			i := idx[ev.Fd]
			for { // every echo queued on this socket
				r, err := syscall.Read(fds[i], buf)
				if errors.Is(err, syscall.EAGAIN) {
					break
				}
				if err != nil {
					fail(fmt.Errorf("receive: %w", err))
					break
				}
				if r != size {
					fail(fmt.Errorf("an echo of %d bytes for %d sent", r, size))
					continue
				}
				if binary.LittleEndian.Uint64(buf) != seq[i] {
					continue // the late echo of a datagram counted lost
				}
				now := time.Now()
				if win.counts(now) {
					lat = append(lat, int64(now.Sub(sent[i])))
				}
				if !win.over {
					send(i)
				}
			}
		}
		now := time.Now()
		if now.Sub(lastScan) >= udpResend/4 {
			lastScan = now
			for i := range fds {
				if !win.over && now.Sub(sent[i]) > udpResend {
					res.Lost++
					send(i)
				}
			}
		}
		win.tick(now, &res.loadResult)
		if win.over && now.Sub(win.end) > udpResend {
			break // the echoes still in flight are not counted
		}
	}
	win.finish(&res.loadResult, lat)
	return res, nil
}
