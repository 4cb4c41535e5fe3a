//go:build !unix

package aio

import "syscall"

// sigStop: there is no SIGSTOP here; no valid signal matches this.
const sigStop = syscall.Signal(-1)
