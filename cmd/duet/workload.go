package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A workload is one kind of work every model runs the same amount of.
type workload string

const (
	ioBound  workload = "io"    // N HTTP requests to a server that answers after a latency
	cpuBound workload = "cpu"   // N chunks of pure computation
	mixed    workload = "mixed" // N items, each a request and then a chunk of computation
)

var workloads = []workload{ioBound, cpuBound, mixed}

func (w workload) describe() string {
	switch w {
	case ioBound:
		return "I/O-bound: HTTP requests to a server that answers after a latency"
	case cpuBound:
		return "CPU-bound: chunks of pure computation (primes by trial division)"
	default:
		return "mixed: each item an HTTP request, then a chunk of computation"
	}
}

// A model is one way of running a workload: the rows of the table.
type model string

const (
	loopModel    model = "loop"          // one aio loop, a task per operation, all on the loop
	loopThreads  model = "loop+tothread" // one aio loop; computation handed to aio.ToThread
	loopsModel   model = "loops"         // one aio loop per core, the operations shared out
	poolModel    model = "pool"          // a thread.Pool, blocking net/http calls
	goroutines   model = "goroutines"    // a goroutine per operation, net/http
	pyAsyncio    model = "asyncio"       // CPython asyncio (streams)
	pyThreads    model = "threads"       // CPython concurrent.futures.ThreadPoolExecutor
	pyUvloop     model = "uvloop"        // CPython asyncio on uvloop
	pyToThread   model = "asyncio+to_thread"
	allModelsTag       = "all"
)

var goModels = []model{loopModel, loopThreads, loopsModel, poolModel, goroutines}
var pyModels = []model{pyAsyncio, pyToThread, pyThreads, pyUvloop}

func (m model) python() bool { return slices.Contains(pyModels, m) }

// applies reports whether m is a distinct way of running w: handing
// computation to threads changes nothing for pure I/O.
func (m model) applies(w workload) bool {
	if w == ioBound && (m == loopThreads || m == pyToThread) {
		return false
	}
	return true
}

func (m model) describe() string {
	switch m {
	case loopModel:
		return "one duet loop: a task per operation, everything on the loop (duet's own sockets)"
	case loopThreads:
		return "one duet loop; each chunk of computation through aio.ToThread"
	case loopsModel:
		return "one duet loop per core (GOMAXPROCS), the operations shared out"
	case poolModel:
		return "a duet thread.Pool, a blocking net/http call per operation"
	case goroutines:
		return "a goroutine per operation, net/http"
	case pyAsyncio:
		return "CPython asyncio, asyncio streams"
	case pyToThread:
		return "CPython asyncio, computation through asyncio.to_thread"
	case pyThreads:
		return "CPython ThreadPoolExecutor, http.client"
	default:
		return "CPython asyncio on uvloop"
	}
}

// params are a run's sizes, the same for every model.
type params struct {
	N           int           // operations per run
	Concurrency int           // operations in flight at once (io, mixed)
	Latency     time.Duration // the server's answer delay
	ChunkSize   int           // numbers per chunk of computation (cpu)
	MixedChunk  int           // numbers per chunk in the mixed workload
	Workers     int           // threads of the pools, loops of "loops"
}

func (p params) chunkFor(w workload) int {
	if w == mixed {
		return p.MixedChunk
	}
	return p.ChunkSize
}

func (p params) validate() error {
	var bad []string
	if p.N < 1 {
		bad = append(bad, fmt.Sprintf("-n %d: need at least 1 operation", p.N))
	}
	if p.Concurrency < 1 {
		bad = append(bad, fmt.Sprintf("-concurrency %d: need at least 1", p.Concurrency))
	}
	if p.Latency < 0 {
		bad = append(bad, fmt.Sprintf("-latency %v: must not be negative", p.Latency))
	}
	if p.ChunkSize < 1 || p.MixedChunk < 1 {
		bad = append(bad, "-chunk and -mixed-chunk: need at least 1 number per chunk")
	}
	if p.Workers < 1 {
		bad = append(bad, fmt.Sprintf("-workers %d: need at least 1", p.Workers))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}
