package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
	"github.com/duet-go/duet/thread"
)

// sample is what a worker process measures of one run (compare.py prints
// the same JSON): the parent adds the process's peak memory, which only it
// can read.
type sample struct {
	Ops       int       `json:"ops"`
	Errors    int       `json:"errors"`
	WallS     float64   `json:"wall_s"`
	CPUS      float64   `json:"cpu_s"`          // of the workload only, not the process's start
	HeldS     float64   `json:"held_s"`         // loop models: time computation held a loop, summed over loops
	PeakRSS   int64     `json:"peak_rss_bytes"` // VmHWM where the OS has it, else the parent's rusage figure
	Latencies []float64 `json:"latencies_ms"`   // per operation, start to end
	FirstErr  string    `json:"first_error,omitempty"`
}

// recorder collects per-operation latencies from any goroutine.
type recorder struct {
	mu    sync.Mutex
	lat   []float64
	errs  int
	first error
	held  atomic.Int64 // ns of computation on a loop
}

func (r *recorder) done(start time.Time, err error) {
	d := float64(time.Since(start)) / float64(time.Millisecond)
	r.mu.Lock()
	if err != nil {
		r.errs++
		if r.first == nil {
			r.first = err
		}
	} else {
		r.lat = append(r.lat, d)
	}
	r.mu.Unlock()
}

// runGo runs one Go model of workload w against the server at addr.
func runGo(ctx context.Context, m model, w workload, p params, addr string) (sample, error) {
	rec := &recorder{lat: make([]float64, 0, p.N)}
	start, cpu0 := time.Now(), cpuTime()
	var err error
	switch m {
	case loopModel, loopThreads:
		err = aio.Run(ctx, func(ctx context.Context) error {
			return loopShare(ctx, m, w, p, addr, 0, p.N, p.Concurrency, rec)
		})
	case loopsModel:
		err = runLoops(ctx, w, p, addr, rec)
	case poolModel:
		err = runPool(ctx, w, p, addr, rec)
	case goroutines:
		err = runGoroutines(ctx, w, p, addr, rec)
	default:
		return sample{}, fmt.Errorf("model %q is not a Go model", m)
	}
	s := sample{Ops: len(rec.lat), Errors: rec.errs, WallS: time.Since(start).Seconds(),
		CPUS: (cpuTime() - cpu0).Seconds(), HeldS: time.Duration(rec.held.Load()).Seconds(),
		PeakRSS: selfPeakRSS(), Latencies: rec.lat}
	if rec.first != nil {
		s.FirstErr = rec.first.Error()
	}
	return s, err
}

// loopShare runs operations [from, to) as tasks of the calling task's
// loop, at most conc at once: a task per connection, each taking the next
// operation when it is done with one (as asyncio code with a bounded
// number of connections is written).
func loopShare(ctx context.Context, m model, w workload, p params, addr string, from, to, conc int, rec *recorder) error {
	// The tasks of one loop never run at once, so the next operation's
	// index needs no lock or atomic (the asyncio model's point).
	next := from
	if w == cpuBound {
		// No connections: a task per chunk, all spawned at once.
		tasks := make([]duet.Awaitable[int], 0, to-from)
		for i := from; i < to; i++ {
			tasks = append(tasks, aio.Spawn(ctx, func(ctx context.Context) (int, error) {
				t := time.Now()
				n, err := compute(ctx, m, i, p.ChunkSize, rec)
				rec.done(t, err)
				return n, err
			}))
		}
		_, err := duet.Gather(ctx, tasks...)
		return err
	}
	conc = min(conc, to-from)
	workers := make([]duet.Awaitable[struct{}], conc)
	for k := range conc {
		workers[k] = aio.Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			var s *aio.Stream
			defer func() {
				if s != nil {
					s.Close()
				}
			}()
			for {
				i := next
				next++
				if i >= to {
					return struct{}{}, nil
				}
				t := time.Now()
				var err error
				if s == nil {
					s, err = aio.Dial(ctx, "tcp", addr)
				}
				if err == nil {
					err = loopGet(ctx, s)
				}
				if err != nil && s != nil {
					s.Close()
					s = nil
				}
				if err == nil && w == mixed {
					_, err = compute(ctx, m, i, p.MixedChunk, rec)
				}
				rec.done(t, err)
			}
		})
	}
	_, err := duet.Gather(ctx, workers...)
	return err
}

// compute runs chunk i on the loop (loop, loops), timing how long it holds
// the loop, or on the loop's default executor (loop+tothread).
func compute(ctx context.Context, m model, i, size int, rec *recorder) (int, error) {
	if m == loopThreads {
		return aio.ToThread(ctx, func(context.Context) (int, error) { return chunk(i, size), nil })
	}
	t := time.Now()
	n := chunk(i, size)
	rec.held.Add(int64(time.Since(t)))
	return n, nil
}

var getRequest = []byte("GET / HTTP/1.1\r\nHost: compare\r\n\r\n")

// loopGet makes one keep-alive HTTP/1.1 GET on s and reads the response
// whole: the minimum an HTTP client does, on duet's own sockets.
func loopGet(ctx context.Context, s *aio.Stream) error {
	if err := s.Write(ctx, getRequest); err != nil {
		return err
	}
	head, err := s.ReadUntil(ctx, []byte("\r\n\r\n"))
	if err != nil {
		return err
	}
	status, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("unexpected response %q", status)
	}
	n := -1
	for _, h := range bytes.Split(rest, []byte("\r\n")) {
		k, v, ok := bytes.Cut(h, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")) {
			n, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		return errors.New("response without Content-Length")
	}
	_, err = s.ReadExactly(ctx, n)
	return err
}

// runLoops runs GOMAXPROCS (p.Workers) loops, each on a goroutine of its
// own with an equal share of the operations and of the concurrency.
func runLoops(ctx context.Context, w workload, p params, addr string, rec *recorder) error {
	n := p.Workers
	var wg sync.WaitGroup
	errs := make([]error, n)
	for k := range n {
		from, to := p.N*k/n, p.N*(k+1)/n
		conc := max(1, p.Concurrency/n)
		wg.Go(func() {
			errs[k] = aio.Run(ctx, func(ctx context.Context) error {
				return loopShare(ctx, loopsModel, w, p, addr, from, to, conc, rec)
			})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func httpClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		DisableCompression:  true,
	}}
}

// httpGet is the blocking counterpart of loopGet, with net/http.
func httpGet(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unexpected status %s", resp.Status)
	}
	return nil
}

// blockingOp is one operation of w for the thread models.
func blockingOp(ctx context.Context, w workload, p params, c *http.Client, url string, i int) error {
	if w != cpuBound {
		if err := httpGet(ctx, c, url); err != nil {
			return err
		}
	}
	if w != ioBound {
		chunk(i, p.chunkFor(w))
	}
	return nil
}

// runPool submits every operation to a thread.Pool: of Concurrency
// threads for I/O (a thread per request in flight, as a
// ThreadPoolExecutor sized for I/O is), of Workers threads for pure
// computation.
func runPool(ctx context.Context, w workload, p params, addr string, rec *recorder) error {
	size := p.Concurrency
	if w == cpuBound {
		size = p.Workers
	}
	pool, err := thread.NewPool(size, thread.WithQueueSize(p.N))
	if err != nil {
		return err
	}
	defer pool.Shutdown(true, false)
	c, url := httpClient(size), "http://"+addr+"/"
	futs := make([]duet.Awaitable[struct{}], p.N)
	for i := range p.N {
		futs[i] = thread.Submit(ctx, pool, func(ctx context.Context) (struct{}, error) {
			t := time.Now()
			err := blockingOp(ctx, w, p, c, url, i)
			rec.done(t, err)
			return struct{}{}, nil
		})
	}
	_, err = duet.Gather(ctx, futs...)
	return err
}

// runGoroutines starts a goroutine per operation, at most Concurrency of
// them in flight for I/O (a semaphore, as Go code bounds its requests).
func runGoroutines(ctx context.Context, w workload, p params, addr string, rec *recorder) error {
	limit := p.Concurrency
	if w == cpuBound {
		limit = p.N
	}
	c, url := httpClient(limit), "http://"+addr+"/"
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range p.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t := time.Now()
			rec.done(t, blockingOp(ctx, w, p, c, url, i))
		})
	}
	wg.Wait()
	return nil
}
