package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cmdChurnLoad is the churn section's load generator: workers threads
// each connect, send a line, read its echo on every other connection (the
// rest close at once, before the answer), and close, as fast as they can
// for d. Blocking syscalls on threads of their own keep the generator's
// cost per connection near its five syscalls. With -pid it reads the
// server's utime+stime from /proc/PID/stat at both ends.
func cmdChurnLoad(args []string) error {
	fs := flag.NewFlagSet("churnload", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "server HOST:PORT (IPv4)")
	dur := fs.Duration("d", time.Minute, "how long to churn")
	workers := fs.Int("workers", 32, "threads connecting at once")
	pid := fs.Int("pid", 0, "server PID whose CPU time to read from /proc/PID/stat (0: none)")
	fs.Parse(args)
	if *workers <= 0 {
		return fmt.Errorf("-workers %d: pass a positive count", *workers)
	}
	res, err := churnLoad(*addr, *dur, *workers, *pid)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func churnLoad(addr string, dur time.Duration, workers, pid int) (churnResult, error) {
	res := churnResult{ClkTck: clkTck()}
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return res, err
	}
	if ta.IP.To4() == nil {
		return res, fmt.Errorf("-addr %s: the generator speaks IPv4 only; pass an IPv4 address", addr)
	}
	sa := &syscall.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())

	var conns, errs atomic.Int64
	var first atomic.Value
	user0, sys0, _ := procCPUTicks(pid)
	self0 := selfCPU()
	t0 := time.Now()
	stop := t0.Add(dur)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			runtime.LockOSThread()
			buf := make([]byte, 64)
			for i := 0; time.Now().Before(stop); i++ {
				msg := fmt.Appendf(nil, "churn %d.%d\n", w, i)
				if err := churnOnce(sa, msg, i%2 == 0, buf); err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				conns.Add(1)
			}
		})
	}
	wg.Wait()
	res.Seconds = time.Since(t0).Seconds()
	user1, sys1, _ := procCPUTicks(pid)
	res.GenCPU = selfCPU() - self0
	res.ServerTicks = user1 + sys1 - user0 - sys0
	res.Conns, res.Errors = int(conns.Load()), int(errs.Load())
	if f, ok := first.Load().(string); ok {
		res.FirstError = f
	}
	return res, nil
}

// churnOnce is one connection: connect, write msg, read its echo when
// read is set, close. The syscalls block without a timeout (Go restarts
// them after its own signals); the section kills a generator that hangs.
func churnOnce(sa *syscall.SockaddrInet4, msg []byte, read bool, buf []byte) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	if err := syscall.Connect(fd, sa); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if n, err := syscall.Write(fd, msg); err != nil || n != len(msg) {
		return fmt.Errorf("write: %d of %d bytes: %v", n, len(msg), err)
	}
	if !read {
		return nil
	}
	got := 0
	for got < len(msg) {
		n, err := syscall.Read(fd, buf[got:len(msg)])
		if err != nil || n <= 0 {
			return fmt.Errorf("read: %d of %d bytes echoed, then %d, %v", got, len(msg), n, err)
		}
		got += n
	}
	if !bytes.Equal(buf[:got], msg) {
		return fmt.Errorf("echo: got %q for %q", buf[:got], msg)
	}
	return nil
}
