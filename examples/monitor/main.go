// Command monitor runs a small pipeline on a duet loop (a producer, worker
// tasks taking jobs from a queue, a pool doing the hashing) and serves
// inspect.Monitor, so that its tasks can be watched live in a browser or
// printed with `duet ps` / `duet pstree`:
//
//	go run ./examples/monitor -addr 127.0.0.1:6060
//	go run ./cmd/duet pstree http://127.0.0.1:6060/debug/duet/
//
// -hog adds a task that computes on the loop, which the advisor flags.
// The loop's tasks carry pprof labels (aio.WithProfileLabels), so that
// -cpuprofile FILE attributes CPU to task names: go tool pprof -tags FILE.
// It prints "listening on ADDR" and "inspect at URL" when ready and runs
// until SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/inspect"
	"github.com/duet-go/duet/thread"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6060", "address to serve the inspection page on")
	hog := flag.Bool("hog", false, "add a task that computes on the loop (the advisor flags it)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file (tasks carry pprof labels: go tool pprof -tags FILE)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "monitor:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "monitor:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*addr, *hog); err != nil {
		fmt.Fprintln(os.Stderr, "monitor:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(addr string, hog bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w (choose another address with -addr)", err)
	}
	m := inspect.NewMonitor()
	defer m.Close()
	mux := http.NewServeMux()
	mux.Handle("/debug/duet/", http.StripPrefix("/debug/duet", m))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Printf("listening on %s\ninspect at http://%s/debug/duet/\n", ln.Addr(), ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := thread.NewPool(2, thread.WithNamePrefix("hashers"))
	if err != nil {
		return err
	}
	defer pool.Shutdown(true, true)
	return aio.Run(ctx, func(ctx context.Context) error {
		jobs := duet.NewQueue[[]byte](8)
		task := func(name string, fn func(ctx context.Context) error) duet.Awaitable[struct{}] {
			return aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }, aio.WithName(name))
		}
		tasks := []duet.Awaitable[struct{}]{task("producer", func(ctx context.Context) error { return produce(ctx, jobs) })}
		for i := range 3 {
			tasks = append(tasks, task(fmt.Sprint("worker-", i), func(ctx context.Context) error { return work(ctx, jobs, pool) }))
		}
		if hog {
			tasks = append(tasks, task("hog", spin))
		}
		_, err := duet.Gather(ctx, tasks...)
		if ctx.Err() != nil {
			return nil // stopped by a signal
		}
		return err
	}, aio.WithProfileLabels())
}

// produce puts a job on the queue every 50 ms.
func produce(ctx context.Context, jobs *duet.Queue[[]byte]) error {
	for i := 0; ; i++ {
		if err := jobs.Put(ctx, []byte(fmt.Sprint("job ", i))); err != nil {
			return err
		}
		if err := duet.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// work hashes each job a few thousand times on the pool.
func work(ctx context.Context, jobs *duet.Queue[[]byte], pool *thread.Pool) error {
	for {
		b, err := jobs.Get(ctx)
		if err != nil {
			return err
		}
		_, err = duet.Await(ctx, thread.Submit(ctx, pool, func(context.Context) ([32]byte, error) {
			sum := sha256.Sum256(b)
			for range 5000 {
				sum = sha256.Sum256(sum[:])
			}
			return sum, nil
		}))
		if err != nil {
			return err
		}
	}
}

// spin computes on the loop for 20 ms at a time: every other task waits
// meanwhile, which the advisor reports.
func spin(ctx context.Context) error {
	for {
		for t := time.Now(); time.Since(t) < 20*time.Millisecond; {
		}
		if err := duet.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}
