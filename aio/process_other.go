//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package aio

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

var errNoProcesses = fmt.Errorf("aio: subprocesses are not supported on this system: %w", errors.ErrUnsupported)

func (l *Loop) startProcess(context.Context, string, []string, *procConfig) (*Process, error) {
	return nil, errNoProcesses
}

func sendSignal(int, int, syscall.Signal) error { return errNoProcesses }

func (p *Process) reapAfterClose() {}
