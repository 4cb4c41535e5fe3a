package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
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
	fs := flag.NewFlagSet("echoload", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "server HOST:PORT (IPv4)")
	conns := fs.Int("c", 50, "connections, each with one message in flight")
	size := fs.Int("size", 64, "message size in bytes")
	dur := fs.Duration("d", 5*time.Second, "measured window")
	warm := fs.Duration("warmup", time.Second, "unmeasured warm-up before the window")
	pid := fs.Int("pid", 0, "server PID whose CPU time to read from /proc/PID/stat (0: none)")
	fs.Parse(args)
	res, err := echoLoad(*addr, *conns, *size, *warm, *dur, *pid)
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

	start := time.Now()
	mStart, mEnd := start.Add(warm), start.Add(warm+dur)
	measuring, over := false, false
	var self0 float64
	var user0, sys0 int64
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
			if measuring && now.Before(mEnd) {
				lat = append(lat, int64(now.Sub(sent[i])))
			}
			if over {
				// The window is closed: this connection is done.
				syscall.Close(fds[i])
				fds[i] = -1
				live--
				continue
			}
			send(i)
		}
		now := time.Now()
		if !measuring && !now.Before(mStart) {
			measuring = true
			user0, sys0, _ = procCPUTicks(pid)
			self0 = selfCPU()
			mStart = now
			mEnd = now.Add(dur)
		}
		if measuring && !over && !now.Before(mEnd) {
			over = true
			user1, sys1, _ := procCPUTicks(pid)
			res.GenCPU = selfCPU() - self0
			res.ServerUser = user1 - user0
			res.ServerTick = res.ServerUser + sys1 - sys0
			res.ServerCPU = float64(res.ServerTick) / float64(res.ClkTck)
			res.Seconds = now.Sub(mStart).Seconds()
		}
		if over && now.Sub(mEnd) > 2*time.Second {
			break // echoes that never come back: leave them
		}
	}
	if !over {
		return res, fmt.Errorf("every connection failed before the window ended: %s", res.FirstError)
	}
	res.Requests = len(lat)
	res.RPS = float64(len(lat)) / res.Seconds
	slices.Sort(lat)
	res.P50us = quantileUs(lat, 0.50)
	res.P99us = quantileUs(lat, 0.99)
	if pid == 0 {
		res.ServerCPU, res.ServerTick, res.ServerUser = 0, 0, 0
	}
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
