package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

// cmdEchoLoad is the load generator: c connections, each sending a
// size-byte message and waiting for its full echo before the next, for
// warmup + d; only the echoes completed in the d window count. It is one
// thread driving non-blocking sockets through epoll (no goroutine per
// connection), so that its own cost per request stays near two syscalls
// and a share of an epoll_wait, the least a generator pinned to one core
// can spend. With -pid it reads the server's utime+stime from
// /proc/PID/stat at both ends of the window.
func cmdEchoLoad(args []string) error {
	return runGenerator("echoload", "connections, each with one message in flight", args, func(f genFlags) (any, error) {
		return echoLoad(f.addr, f.c, f.size, f.warm, f.dur, f.pid)
	})
}

// genFlags are the flags echoload and udpload share.
type genFlags struct {
	addr         string
	c, size, pid int
	dur, warm    time.Duration
}

// runGenerator parses a generator's flags, runs it and prints its result
// as one JSON line.
func runGenerator(name, what string, args []string, run func(genFlags) (any, error)) error {
	var f genFlags
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:9000", "server HOST:PORT (IPv4)")
	fs.IntVar(&f.c, "c", 50, what)
	fs.IntVar(&f.size, "size", 64, "message size in bytes")
	fs.DurationVar(&f.dur, "d", 5*time.Second, "measured window")
	fs.DurationVar(&f.warm, "warmup", time.Second, "unmeasured warm-up before the window")
	fs.IntVar(&f.pid, "pid", 0, "server PID whose CPU time to read from /proc/PID/stat (0: none)")
	fs.Parse(args)
	res, err := run(f)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func echoLoad(addr string, c, size int, warm, dur time.Duration, pid int) (loadResult, error) {
	res := loadResult{Conns: c, ClkTck: clkTck()}
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return res, err
	}
	sa := &syscall.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())

	runtime.LockOSThread()
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return res, err
	}
	defer syscall.Close(ep)

	fail := func(err error) {
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
	}
	var fds []int
	var idx []int // fd -> connection
	for range c {
		fd, err := dialBlocking(sa)
		if err != nil {
			fail(fmt.Errorf("connect: %w", err))
			continue
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
	defer func() {
		for _, fd := range fds {
			if fd >= 0 {
				syscall.Close(fd)
			}
		}
	}()
	if len(fds) == 0 {
		return res, fmt.Errorf("no connection to %s: %s", addr, res.FirstError)
	}

	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	buf := make([]byte, 64<<10)
	sent := make([]time.Time, len(fds))
	got := make([]int, len(fds))
	lat := make([]int64, 0, 1<<20)
	live := len(fds)
	drop := func(i int, err error) {
		fail(err)
		syscall.Close(fds[i])
		fds[i] = -1
		live--
	}
	send := func(i int) {
		sent[i] = time.Now()
		n, err := syscall.Write(fds[i], msg)
		if err != nil || n != len(msg) {
			if err == nil {
				err = fmt.Errorf("short write %d/%d", n, len(msg))
			}
			drop(i, fmt.Errorf("write: %w", err))
		}
	}

	win := newWindow(time.Now(), warm, dur, pid)
	for i := range fds {
		send(i)
	}
	events := make([]syscall.EpollEvent, 512)
	for live > 0 {
		n, err := syscall.EpollWait(ep, events, 10)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return res, err
		}
		for _, ev := range events[:max(n, 0)] {
			i := idx[ev.Fd]
			if i < 0 || fds[i] < 0 {
				continue
			}
			r, err := syscall.Read(fds[i], buf)
			if errors.Is(err, syscall.EAGAIN) {
				continue
			}
			if err != nil || r == 0 {
				if err == nil {
					err = errors.New("EOF")
				}
				drop(i, fmt.Errorf("read: %w", err))
				continue
			}
			got[i] += r
			if got[i] < size {
				continue
			}
			now := time.Now()
			if got[i] > size {
				drop(i, fmt.Errorf("%d bytes echoed for %d sent", got[i], size))
				continue
			}
			got[i] = 0
			if win.counts(now) {
				lat = append(lat, int64(now.Sub(sent[i])))
			}
			if win.over {
				// The window is closed: this connection is done.
				syscall.Close(fds[i])
				fds[i] = -1
				live--
				continue
			}
			send(i)
		}
		now := time.Now()
		win.tick(now, &res)
		if win.over && now.Sub(win.end) > 2*time.Second {
			break // echoes that never come back: leave them
		}
	}
	if !win.over {
		return res, fmt.Errorf("every connection failed before the window ended: %s", res.FirstError)
	}
	win.finish(&res, lat)
	return res, nil
}

// dialBlocking connects a TCP socket (blocking connect, then non-blocking
// I/O, TCP_NODELAY).
func dialBlocking(sa *syscall.SockaddrInet4) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// quantileUs is the q-quantile of sorted nanosecond samples, in µs
// (nearest rank).
func quantileUs(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(q*float64(len(sorted))+0.5) - 1
	k = min(max(k, 0), len(sorted)-1)
	return float64(sorted[k]) / 1e3
}

// selfCPU is this process's utime+stime in seconds (getrusage: µs
// resolution).
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
