//go:build unix

package aio

import "syscall"

// sigStop is SIGSTOP, which cannot be caught.
const sigStop = syscall.SIGSTOP
