// Command duet-worker serves the demo tasks (remote/internal/demotasks)
// from a NATS JetStream server until it is interrupted:
//
//	duet-worker -url nats://127.0.0.1:4222 -slots 8
//
// It prints "ready" once it serves, and with -v "start TAG" as each Hold
// task starts: the multi-process tests read both. SIGINT or SIGTERM shuts
// it down, handing the tasks it runs back for another worker.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/duet-go/duet/remote"
	"github.com/duet-go/duet/remote/internal/demotasks"
)

func main() {
	url := flag.String("url", "", "NATS server URL(s), comma-separated (required)")
	slots := flag.Int("slots", runtime.GOMAXPROCS(0), "tasks run at once")
	ackWait := flag.Duration("ack-wait", remote.DefaultAckWait, "the stream's ack wait (every engine of a cluster must agree)")
	verbose := flag.Bool("v", false, "print \"start TAG\" as each Hold task starts")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "duet-worker: -url is required, such as -url nats://127.0.0.1:4222")
		os.Exit(2)
	}
	if err := run(*url, *slots, *ackWait, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "duet-worker:", err)
		os.Exit(1)
	}
}

func run(url string, slots int, ackWait time.Duration, verbose bool) error {
	e, err := remote.NewEngine(remote.WithURLs(url), remote.WithAckWait(ackWait), remote.WithName(fmt.Sprintf("duet-worker-%d", os.Getpid())))
	if err != nil {
		return err
	}
	defer e.Close()
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		out.WriteString(s + "\n")
		out.Flush()
	}
	var started func(string)
	if verbose {
		started = func(tag string) { say("start " + tag) }
	}
	reg := remote.NewRegistry()
	if err := demotasks.Register(reg, started); err != nil {
		return err
	}
	w, err := remote.Serve(e, reg, remote.WithSlots(slots))
	if err != nil {
		return err
	}
	say("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	w.Shutdown(true, true)
	return nil
}
