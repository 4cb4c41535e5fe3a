// Command duetbench measures duet's event loop against CPython's asyncio,
// and its threading model against Go's pool libraries (ants, conc,
// errgroup), plain goroutines and CPython's concurrent.futures, on the same
// machine, in the same run.
//
//	duetbench compare [flags]   run every workload with duet and CPython, print the table
//	duetbench run -w NAME       run one duet workload, print its metrics as JSON
//	duetbench list              list the workloads
//	duetbench udpload [flags]   the udp section's load generator (see udp.go)
//	duetbench udpecho [flags]   the udp section's Go servers, duet's and net's
//	duetbench echoload [flags]  the echo section's load generator (see echo.go)
//	duetbench churnload [flags] the churn section's load generator (see churn.go)
//
// compare runs each workload in a fresh process (this program with "run",
// then python3 on ../python/NAME.py), so that one workload's heap, goroutines
// and CPU time do not leak into the next, and reports medians of several
// repetitions. The CPython scripts run with smaller sizes where CPython is
// much slower; every figure is per operation, so sizes do not enter ratios.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
)

// result is one implementation's figures for one workload; the Python
// scripts print the same JSON.
type result struct {
	Workload string               `json:"workload"`
	Impl     string               `json:"impl"`
	N        int                  `json:"n"`
	Reps     int                  `json:"reps"`
	Metrics  map[string]float64   `json:"metrics"` // medians over the repetitions
	Samples  map[string][]float64 `json:"samples"`
	Info     map[string]string    `json:"info,omitempty"`
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(os.Args[2:])
	case "compare":
		err = cmdCompare(os.Args[2:])
	case "udpload":
		err = cmdUDPLoad(os.Args[2:])
	case "udpecho":
		err = cmdUDPEcho(os.Args[2:])
	case "echoload":
		err = cmdEchoLoad(os.Args[2:])
	case "churnload":
		err = cmdChurnLoad(os.Args[2:])
	case "list":
		for _, w := range workloads() {
			fmt.Printf("%-16s %s\n", w.name, w.about)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "duetbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  duetbench compare [-only w1,w2,echo,idle,churn] [-quick] [-workers N] [-python python3] [-pydir DIR] [-out FILE]
                    [-server-cpu 0] [-load-cpu 1] [-no-pin] [-echo-c 50,1000] [-echo-d 5s] [-echo-warmup 1s]
                    [-idle-n 10000] [-maxconns 0] [-duet-loops 1] [-churn-d 1m] [-churn-workers 32] [-churn-peers]
  duetbench run -w WORKLOAD [-n N] [-reps R] [-warmup W] [-workers N] [-cpuprofile FILE] [-memprofile FILE]
  duetbench compare -only udp [-udp-c 1,50]   (the udp section; -only names it beside the others)
  duetbench udpload -addr HOST:PORT [-c 50] [-size 64] [-d 5s] [-warmup 1s] [-pid PID]
  duetbench udpecho -impl protocol|packetconn|net -addr HOST:PORT
  duetbench echoload -addr HOST:PORT [-c 50] [-size 64] [-d 5s] [-warmup 1s] [-pid PID]
  duetbench churnload -addr HOST:PORT [-d 1m] [-workers 32] [-pid PID]
  duetbench list`)
	os.Exit(2)
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	name := fs.String("w", "", "workload name (see list)")
	n := fs.Int("n", 0, "size per repetition (0: the workload's default)")
	reps := fs.Int("reps", 0, "repetitions (0: the workload's default)")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile of the repetitions to this file")
	memprof := fs.String("memprofile", "", "write the allocation profile (warm-up included) to this file")
	warmup := fs.Int("warmup", 0, "unrecorded, unprofiled repetitions to run first")
	fs.StringVar(&implsFlag, "impls", "", "pool_tiny: run only these implementations (comma-separated, e.g. duet_await,ants_results), for profiling")
	fs.IntVar(&workersFlag, "workers", 0, "workers of the one-per-core pools (pool_tiny, primes); 0: GOMAXPROCS")
	fs.Parse(args)
	if workersFlag < 0 {
		return fmt.Errorf("-workers %d: pass a positive count, or 0 for GOMAXPROCS", workersFlag)
	}
	w, ok := findWorkload(*name)
	if !ok {
		return fmt.Errorf("unknown workload %q: run 'duetbench list'", *name)
	}
	if *n <= 0 {
		*n = w.n
	}
	if *reps <= 0 {
		*reps = w.reps
	}
	res := result{Workload: w.name, Impl: "duet", N: *n, Reps: *reps,
		Metrics: map[string]float64{}, Samples: map[string][]float64{},
		Info: map[string]string{"go": runtime.Version(), "gomaxprocs": fmt.Sprint(runtime.GOMAXPROCS(0)), "workers": fmt.Sprint(coreWorkers())}}
	for range *warmup {
		runtime.GC()
		if _, err := w.run(*n); err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	for range *reps {
		runtime.GC()
		m, err := w.run(*n)
		if err != nil {
			pprof.StopCPUProfile()
			return fmt.Errorf("%s: %w", w.name, err)
		}
		for k, v := range m {
			res.Samples[k] = append(res.Samples[k], v)
		}
	}
	pprof.StopCPUProfile()
	if *memprof != "" {
		f, err := os.Create(*memprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	for k, vs := range res.Samples {
		res.Metrics[k] = median(vs)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
