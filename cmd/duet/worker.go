package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
)

// workerCmd is the hidden command a compare run starts itself as, once per
// Go model and workload, so that each model's CPU time and peak memory are
// a process's own (as they are for the CPython models) and the in-process
// HTTP server of the parent is not counted.
const workerCmd = "__compare-worker"

// workerArgs are the flags a worker process is started with.
func workerArgs(m model, w workload, p params, addr string) []string {
	return []string{workerCmd,
		"-model", string(m), "-workload", string(w), "-addr", addr,
		"-n", itoa(p.N), "-concurrency", itoa(p.Concurrency),
		"-chunk", itoa(p.ChunkSize), "-mixed-chunk", itoa(p.MixedChunk),
		"-workers", itoa(p.Workers), "-latency", p.Latency.String(),
	}
}

func workerMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(workerCmd, flag.ContinueOnError)
	var m, w, addr string
	var p params
	fs.StringVar(&m, "model", "", "")
	fs.StringVar(&w, "workload", "", "")
	fs.StringVar(&addr, "addr", "", "")
	fs.IntVar(&p.N, "n", 0, "")
	fs.IntVar(&p.Concurrency, "concurrency", 0, "")
	fs.IntVar(&p.ChunkSize, "chunk", 0, "")
	fs.IntVar(&p.MixedChunk, "mixed-chunk", 0, "")
	fs.IntVar(&p.Workers, "workers", 0, "")
	fs.DurationVar(&p.Latency, "latency", 0, "")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := p.validate(); err != nil {
		return usageError{err}
	}
	s, err := runGo(ctx, model(m), workload(w), p, addr)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(s)
}
