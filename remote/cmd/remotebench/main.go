// Command remotebench measures remote's throughput and latency against a
// raw nats.go loop doing the same messaging, in the same run (run it from
// the remote directory):
//
//	go run ./cmd/remotebench                        # 32 in flight, file storage, in-process
//	go run ./cmd/remotebench -inflight 1 -n 3000    # one task at a time
//	go run ./cmd/remotebench -inflight 1 -tcp       # over loopback TCP
//	go run ./cmd/remotebench -memory                # memory storage
//	go run ./cmd/remotebench -dask cmd/remotebench/dask_submit.py   # and Dask's LocalCluster
//	go run ./cmd/remotebench -cancel 300            # cancel → worker ctx done latency
//
// Both sides use an embedded server, file storage (or -memory), a work-queue
// stream, a durable pull consumer with explicit acks, 64-byte arguments and
// a result sent back on core NATS. duet's side is Submit + Await of the
// demo echo task (JSON codec) on a worker of the same process; the raw
// side publishes the bytes with nats.go's async JetStream publish, and a
// consumer callback answers and acks each message inline. Each side runs
// -reps times, alternating, and the median repetition is printed, with the
// process CPU per task, steadier than rates on a shared machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
	"github.com/duet-go/duet/remote/internal/demotasks"
)

type result struct {
	rate     float64 // tasks per second
	p50, p99 time.Duration
	max      time.Duration // a stall shows here, not in p99
	cpu      time.Duration // process CPU (user + system) per task: steadier than rates on a loaded machine
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f tasks/s  p50 %7.1f µs  p99 %7.1f µs  max %6.1f ms  CPU %5.1f µs/task", r.rate, us(r.p50), us(r.p99), float64(r.max)/1e6, us(r.cpu))
}

// cpuTime is the process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func us(d time.Duration) float64 { return float64(d) / 1e3 }

func main() {
	n := flag.Int("n", 30000, "tasks per repetition")
	inFlight := flag.Int("inflight", 32, "tasks in flight (submitting goroutines)")
	reps := flag.Int("reps", 3, "repetitions of each side")
	memory := flag.Bool("memory", false, "memory storage instead of files")
	tcp := flag.Bool("tcp", false, "connect over loopback TCP instead of in-process")
	dask := flag.String("dask", "", "also run this Dask twin (dask_submit.py) with /usr/bin/python3 and compare")
	cancels := flag.Int("cancel", 0, "measure cancel latency over this many tasks instead")
	only := flag.String("only", "", "run one side only: duet or raw (for profiling)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the duet side to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile to this file at the end")
	flag.Parse()
	if *memprofile != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "remotebench:", err)
			os.Exit(1)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *cancels > 0 {
		if err := cancelLatency(*cancels); err != nil {
			fmt.Fprintln(os.Stderr, "remotebench:", err)
			os.Exit(1)
		}
		return
	}
	var duetRes, rawRes []result
	for range *reps {
		if *only != "" {
			run := runDuet
			if *only == "raw" {
				run = runRaw
			}
			r, err := run(*n, *inFlight, *memory, *tcp)
			if err != nil {
				fmt.Fprintln(os.Stderr, "remotebench:", err)
				os.Exit(1)
			}
			fmt.Printf("  rep: %s %v\n", *only, r)
			continue
		}
		d, err := runDuet(*n, *inFlight, *memory, *tcp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "remotebench:", err)
			os.Exit(1)
		}
		r, err := runRaw(*n, *inFlight, *memory, *tcp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "remotebench raw:", err)
			os.Exit(1)
		}
		duetRes, rawRes = append(duetRes, d), append(rawRes, r)
		fmt.Printf("  rep: duet %v | raw %v | ratio %.2f\n", d, r, d.rate/r.rate)
	}
	if *only != "" {
		return
	}
	storage, conn := "file", "in-process"
	if *memory {
		storage = "memory"
	}
	if *tcp {
		conn = "loopback TCP"
	}
	d, r := median(duetRes), median(rawRes)
	ratios := make([]float64, len(duetRes))
	for i := range duetRes {
		ratios[i] = duetRes[i].rate / rawRes[i].rate
	}
	sort.Float64s(ratios)
	fmt.Printf("%d in flight, %s storage, %s, 64-byte args, %d tasks x %d reps (median)\n", *inFlight, storage, conn, *n, *reps)
	fmt.Printf("duet remote: %v\n", d)
	fmt.Printf("raw nats.go: %v\n", r)
	fmt.Printf("ratio duet/raw (median of per-rep ratios): %.2f\n", ratios[len(ratios)/2])
	cpus := make([]float64, len(duetRes))
	for i := range duetRes {
		cpus[i] = float64(rawRes[i].cpu) / float64(duetRes[i].cpu)
	}
	sort.Float64s(cpus)
	if *dask != "" {
		if err := compareDask(*dask, d); err != nil {
			fmt.Fprintln(os.Stderr, "remotebench dask:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("CPU per task, raw/duet (median of per-rep ratios; 1.0 = as cheap as raw): %.2f\n", cpus[len(cpus)/2])
}

func median(rs []result) result {
	s := slices.Clone(rs)
	sort.Slice(s, func(i, j int) bool { return s[i].rate < s[j].rate })
	return s[len(s)/2]
}

// drive runs n calls of one from inFlight goroutines, timing each.
func drive(n, inFlight int, one func() error) (result, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuTime()
	for range inFlight {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				if err := one(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	el, cpu := time.Since(start), cpuTime()-cpu0
	if err, _ := firstErr.Load().(error); err != nil {
		return result{}, err
	}
	slices.Sort(lat)
	return result{rate: float64(n) / el.Seconds(), p50: lat[n/2], p99: lat[n*99/100], max: lat[n-1], cpu: cpu / time.Duration(n)}, nil
}

func engineOpts(dir string, memory, tcp bool) []remote.EngineOption {
	opts := []remote.EngineOption{remote.WithStoreDir(dir)}
	if memory {
		opts = append(opts, remote.WithMemoryStorage())
	}
	if tcp {
		opts = append(opts, remote.WithListen("127.0.0.1:0"))
	}
	return opts
}

func runDuet(n, inFlight int, memory, tcp bool) (result, error) {
	dir, err := os.MkdirTemp("", "remotebench-*")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	e, err := remote.NewEngine(engineOpts(dir, memory, tcp)...)
	if err != nil {
		return result{}, err
	}
	defer e.Close()
	ce := e // over TCP the caller and worker connect by URL, as processes would
	if tcp {
		if ce, err = remote.NewEngine(remote.WithURLs(e.URL())); err != nil {
			return result{}, err
		}
		defer ce.Close()
	}
	reg := remote.NewRegistry()
	if err := demotasks.Register(reg, nil); err != nil {
		return result{}, err
	}
	w, err := remote.Serve(e, reg, remote.WithSlots(inFlight))
	if err != nil {
		return result{}, err
	}
	defer w.Shutdown(true, true)
	c, err := remote.NewClient(ce)
	if err != nil {
		return result{}, err
	}
	defer c.Shutdown(true, true)
	ctx := context.Background()
	arg := make([]byte, 64)
	warm := min(n/10, 2000)
	if _, err := drive(warm, inFlight, func() error { _, err := duet.Await(ctx, remote.Submit(ctx, c, demotasks.Echo, arg)); return err }); err != nil {
		return result{}, err
	}
	return drive(n, inFlight, func() error {
		_, err := duet.Await(ctx, remote.Submit(ctx, c, demotasks.Echo, arg))
		return err
	})
}

// runRaw does the same messaging with nats.go alone.
func runRaw(n, inFlight int, memory, tcp bool) (result, error) {
	dir, err := os.MkdirTemp("", "remotebench-raw-*")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	sopts := &server.Options{JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true, DontListen: !tcp, Host: "127.0.0.1", Port: server.RANDOM_PORT}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return result{}, err
	}
	srv.Start()
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if !srv.ReadyForConnections(10 * time.Second) {
		return result{}, fmt.Errorf("server not ready")
	}
	connect := func() (*nats.Conn, error) {
		if tcp {
			return nats.Connect(srv.ClientURL())
		}
		return nats.Connect("", nats.InProcessServer(srv))
	}
	nc, err := connect()
	if err != nil {
		return result{}, err
	}
	defer nc.Close()
	cnc := nc
	if tcp {
		if cnc, err = connect(); err != nil {
			return result{}, err
		}
		defer cnc.Close()
	}
	js, _ := jetstream.New(nc)
	cjs, _ := jetstream.New(cnc)
	ctx := context.Background()
	storage := jetstream.FileStorage
	if memory {
		storage = jetstream.MemoryStorage
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.tasks"}, Retention: jetstream.WorkQueuePolicy, Storage: storage})
	if err != nil {
		return result{}, err
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "w", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1 << 16})
	if err != nil {
		return result{}, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		r := nats.NewMsg(m.Headers().Get("Reply"))
		r.Data = m.Data()
		nc.PublishMsg(r)
		m.Ack()
	}, jetstream.PullMaxMessages(inFlight), jetstream.PullExpiry(time.Second)) // as remote's worker
	if err != nil {
		return result{}, err
	}
	defer cc.Stop()
	// One inbox per caller, as duet's client has one; results by sequence.
	inbox := nats.NewInbox()
	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	sub, err := cnc.Subscribe(inbox+".*", func(m *nats.Msg) {
		mu.Lock()
		ch := waiting[m.Subject]
		delete(waiting, m.Subject)
		mu.Unlock()
		if ch != nil {
			ch <- struct{}{}
		}
	})
	if err != nil {
		return result{}, err
	}
	defer sub.Unsubscribe()
	arg := make([]byte, 64)
	var seq atomic.Uint64
	one := func() error {
		id := inbox + "." + strconv.FormatUint(seq.Add(1), 10)
		ch := make(chan struct{}, 1)
		mu.Lock()
		waiting[id] = ch
		mu.Unlock()
		m := nats.NewMsg("raw.tasks")
		m.Header.Set("Reply", id)
		m.Data = arg
		ack, err := cjs.PublishMsgAsync(m)
		if err != nil {
			return err
		}
		select {
		case <-ack.Ok():
		case err := <-ack.Err():
			return err
		}
		<-ch
		return nil
	}
	warm := min(n/10, 2000)
	if _, err := drive(warm, inFlight, one); err != nil {
		return result{}, err
	}
	return drive(n, inFlight, one)
}

// compareDask runs the Dask twin and compares its throughput with duet's
// median d. Dask's figures come from its own process: a ratio against them
// is only as steady as the machine's load between the two.
func compareDask(script string, d result) error {
	out, err := exec.Command("/usr/bin/python3", script).Output()
	if err != nil {
		return fmt.Errorf("%s: %w (is Debian's python3-distributed installed?)", script, err)
	}
	var rate, p50, p99 float64
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "dask" {
			switch f[1] {
			case "throughput":
				rate, _ = strconv.ParseFloat(f[2], 64)
			case "latency":
				p50, _ = strconv.ParseFloat(f[2], 64)
				if len(f) > 3 {
					p99, _ = strconv.ParseFloat(f[3], 64)
				}
			}
		}
	}
	if rate == 0 {
		return fmt.Errorf("%s printed no throughput: %q", script, out)
	}
	fmt.Printf("dask LocalCluster (2 workers x 1 thread), client.submit: %.0f tasks/s; one at a time p50 %.0f µs p99 %.0f µs\n", rate, p50, p99)
	fmt.Printf("ratio duet/dask throughput: %.1f\n", d.rate/rate)
	return nil
}
