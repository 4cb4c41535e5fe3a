package aio

import (
	"log/slog"

	"github.com/duet-go/duet/internal/futhook"
)

// WithExceptionHandler sets the loop's exception handler (see
// SetExceptionHandler).
func WithExceptionHandler(h func(*Loop, ExceptionContext)) Option {
	return func(l *Loop) { l.handler = h }
}

// ExceptionContext describes an error that nobody could receive: an
// unretrieved task error, a panic in a callback, a destroyed task (Python:
// the context dict given to the loop's exception handler).
type ExceptionContext struct {
	Message string // what happened, always set
	Err     error  // the error, if any
	Task    string // the task's name, if a task is involved
	Stack   []byte // a goroutine stack, for slow-step reports
}

// SetExceptionHandler replaces the loop's exception handler; nil restores
// the default, which logs with log/slog at error level.
func (l *Loop) SetExceptionHandler(h func(*Loop, ExceptionContext)) {
	l.handlerMu.Lock()
	l.handler = h
	l.handlerMu.Unlock()
}

// CallExceptionHandler reports ec through the loop's exception handler
// (Python: loop.call_exception_handler). A panic in the handler is logged
// and swallowed.
func (l *Loop) CallExceptionHandler(ec ExceptionContext) {
	l.handlerMu.Lock()
	h := l.handler
	l.handlerMu.Unlock()
	if h == nil {
		DefaultExceptionHandler(l, ec)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			slog.Error("aio: exception handler panicked", "panic", r, "report", ec.Message)
		}
	}()
	h(l, ec)
}

// DefaultExceptionHandler logs ec with log/slog.
func DefaultExceptionHandler(_ *Loop, ec ExceptionContext) {
	args := []any{}
	if ec.Task != "" {
		args = append(args, "task", ec.Task)
	}
	if ec.Err != nil {
		args = append(args, "err", ec.Err)
	}
	if ec.Stack != nil {
		args = append(args, "stack", string(ec.Stack))
	}
	slog.Error(ec.Message, args...)
}

// onTaskFailure records a failed task whose error may never be retrieved.
func (l *Loop) onTaskFailure(name string, f *futhook.Failure) {
	l.mu.Lock()
	l.failures[f] = name
	if len(l.failures) > 2*l.failSweepAt+64 {
		for k := range l.failures {
			if k.Taken() {
				delete(l.failures, k)
			}
		}
		l.failSweepAt = len(l.failures)
	}
	l.mu.Unlock()
}

func (l *Loop) reportFailures() {
	l.mu.Lock()
	fs := l.failures
	l.failures = map[*futhook.Failure]string{}
	l.mu.Unlock()
	for f, name := range fs {
		if f.Take() {
			l.CallExceptionHandler(ExceptionContext{Message: "Task exception was never retrieved", Err: f.Err, Task: name})
		}
	}
}
