//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// statsOnSignal answers SIGUSR1 with a stats line (the benchmark's idle
// table asks for the memory in use so); the signal is received on a
// goroutine of os/signal's, never on the loop.
func statsOnSignal() {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			printStats()
		}
	}()
}
