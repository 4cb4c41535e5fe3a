package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/duet-go/duet/aio"
)

// The subprocess row (issue 9): a child started and its small output read
// to the end, one child at a time, against CPython's
// asyncio.create_subprocess_exec + communicate (python/subprocess_echo.py) and,
// as a Go reference measured in the same process, os/exec's Output.

// echoPath is the child both sides run.
const echoPath = "/bin/echo"

func procWorkloads() []workload {
	return []workload{
		{name: "subprocess_echo", about: "spawn " + echoPath + " with stdout piped + Communicate, one child at a time (ref: os/exec Output)",
			run: subprocessRep, n: 1000, reps: 5, pyN: 500, pyReps: 5},
	}
}

func init() {
	targets = append(targets,
		target{workload: "subprocess_echo", metric: "us_per_proc", label: "subprocess spawn+communicate", unit: "µs"},
		target{workload: "subprocess_echo", metric: "us_per_proc", label: "subprocess spawn+communicate", unit: "µs",
			peerImpl: "duet", peerMetric: "ref_osexec_us_per_proc", peer: "os/exec"},
	)
}

func subprocessRep(n int) (map[string]float64, error) {
	out := map[string]float64{}
	want := []byte("hi\n")
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		one := func() error {
			p, err := aio.StartProcess(ctx, echoPath, []string{"hi"}, aio.WithStdout(aio.Pipe))
			if err != nil {
				return err
			}
			b, _, err := p.Communicate(ctx, nil)
			if err != nil {
				return err
			}
			if !bytes.Equal(b, want) {
				return fmt.Errorf("subprocess: the child printed %q", b)
			}
			return nil
		}
		for range 50 { // warm-up, as the Python side does
			if err := one(); err != nil {
				return err
			}
		}
		start := time.Now()
		for range n {
			if err := one(); err != nil {
				return err
			}
		}
		out["us_per_proc"] = float64(time.Since(start).Microseconds()) / float64(n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for range n {
		b, err := exec.Command(echoPath, "hi").Output()
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b, want) {
			return nil, fmt.Errorf("subprocess: os/exec's child printed %q", b)
		}
	}
	out["ref_osexec_us_per_proc"] = float64(time.Since(start).Microseconds()) / float64(n)
	return out, nil
}
