package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/duet-go/duet"
)

var (
	// ErrUnknownTask matches the error of a task no worker handler exists
	// for: a name the worker's registry lacks, often a version mismatch
	// between caller and worker.
	ErrUnknownTask = errors.New("remote: unknown task")
	// ErrCodec matches the error of arguments or results that failed to
	// encode or decode, or of a caller and worker using different codecs.
	ErrCodec = errors.New("remote: codec")
	// ErrFull matches a Submit refused for want of room: the client's
	// in-flight bound with WithRejectWhenFull, or the stream's WithMaxQueued.
	ErrFull = errors.New("remote: full")
	// ErrPoison matches the error of a task that used up its attempts (see
	// PoisonError).
	ErrPoison = errors.New("remote: poison task")
	// ErrWorkerLost matches the failure of an attempt whose worker stopped
	// acknowledging it (it died, hung, or lost its connection): JetStream
	// redelivered the task.
	ErrWorkerLost = errors.New("remote: worker lost")
)

// Error is a task's error as the caller sees it: the worker's error message
// and what it matched there. errors.Is matches the sentinels the worker's
// error matched (duet's ErrCancelled, ErrTimeout, ErrInvalidState,
// ErrClosed, context.Canceled and DeadlineExceeded, this package's, and
// those given to RegisterErrorValue); Unwrap returns the value of a
// registered error type (RegisterError), decoded, so errors.As finds it.
// Python: Dask and Ray re-raise the remote exception, pickled.
type Error struct {
	Msg  string // the remote error's Error()
	Task string // the task's name
	is   []error
	err  error // a registered type's value, or nil
}

// Error returns the remote error's message.
func (e *Error) Error() string { return e.Msg }

// Is reports whether the remote error matched target on the worker.
func (e *Error) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}

// Unwrap returns the decoded value of a registered error type, or nil.
func (e *Error) Unwrap() error { return e.err }

// PoisonError is the error of a task that failed on every attempt it was
// allowed (WithRetries), rather than being redelivered forever as
// JetStream would by default. Last is the last attempt's failure: the
// handler's error, or one matching ErrWorkerLost when the workers running
// it kept dying. It matches ErrPoison, and what Last matches.
type PoisonError struct {
	Task     string
	Attempts int
	Last     error
}

// Error describes the task, its attempts and its last failure.
func (e *PoisonError) Error() string {
	return fmt.Sprintf("remote: task %s failed on all %d attempts; the last: %v", e.Task, e.Attempts, e.Last)
}

// Is reports whether target is ErrPoison.
func (e *PoisonError) Is(target error) bool { return target == ErrPoison }

// Unwrap returns the last failure.
func (e *PoisonError) Unwrap() error { return e.Last }

// codecError is an encoding or decoding failure; it matches ErrCodec.
type codecError struct {
	what string
	err  error
}

func (e *codecError) Error() string        { return "remote: cannot " + e.what + ": " + e.err.Error() }
func (e *codecError) Is(target error) bool { return target == ErrCodec }
func (e *codecError) Unwrap() error        { return e.err }

// The error registry: sentinels matched by name, and error types decoded
// from JSON. Both sides of a task must register the same names.
var errReg = struct {
	sync.RWMutex
	values map[string]error
	types  map[string]reflect.Type
	order  []string // value names, in registration order, for encoding
	tnames []string
}{values: map[string]error{}, types: map[string]reflect.Type{}}

func init() {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"duet.cancelled", duet.ErrCancelled}, {"duet.timeout", duet.ErrTimeout},
		{"duet.invalid_state", duet.ErrInvalidState}, {"duet.closed", duet.ErrClosed},
		{"context.canceled", context.Canceled}, {"context.deadline_exceeded", context.DeadlineExceeded},
		{"remote.unknown_task", ErrUnknownTask}, {"remote.codec", ErrCodec}, {"remote.full", ErrFull},
		{"remote.poison", ErrPoison}, {"remote.worker_lost", ErrWorkerLost},
	} {
		if err := RegisterErrorValue(s.name, s.err); err != nil {
			panic(err)
		}
	}
}

// RegisterErrorValue makes the sentinel err travel by name: a remote error
// that matches it (errors.Is) on the worker matches it on the caller too.
// Register the same name in callers and workers, once, before use (from an
// init, as gob.Register); a name or value given twice is an error.
func RegisterErrorValue(name string, err error) error {
	if name == "" || err == nil {
		return errors.New("remote: RegisterErrorValue needs a name and a non-nil error")
	}
	errReg.Lock()
	defer errReg.Unlock()
	if _, dup := errReg.values[name]; dup {
		return fmt.Errorf("remote: RegisterErrorValue(%q): the name is taken", name)
	}
	for _, n := range errReg.order {
		if errReg.values[n] == err {
			return fmt.Errorf("remote: RegisterErrorValue(%q): the error is registered already as %q", name, n)
		}
	}
	errReg.values[name] = err
	errReg.order = append(errReg.order, name)
	return nil
}

// RegisterError makes errors of type E travel as values: a remote error
// with an E in its chain (errors.As) arrives with that E decoded from JSON
// (its exported fields travel) and reachable by errors.As on the caller.
// E is usually a pointer type (*MyError). Register the same name in callers
// and workers, once, before use; a name or type given twice is an error.
func RegisterError[E error](name string) error {
	t := reflect.TypeFor[E]()
	if name == "" {
		return errors.New("remote: RegisterError(\"\"): give the type a name")
	}
	if t.Kind() == reflect.Interface {
		return fmt.Errorf("remote: RegisterError(%q): %v is an interface; register a concrete error type", name, t)
	}
	errReg.Lock()
	defer errReg.Unlock()
	if _, dup := errReg.types[name]; dup {
		return fmt.Errorf("remote: RegisterError(%q): the name is taken", name)
	}
	for _, n := range errReg.tnames {
		if errReg.types[n] == t {
			return fmt.Errorf("remote: RegisterError(%q): %v is registered already as %q", name, t, n)
		}
	}
	errReg.types[name] = t
	errReg.tnames = append(errReg.tnames, name)
	return nil
}

// wireErr is an error on the wire, always JSON whatever the task codec.
type wireErr struct {
	Msg    string          `json:"msg"`
	Is     []string        `json:"is,omitempty"`   // registered sentinels it matched
	Type   string          `json:"type,omitempty"` // a registered type in its chain
	Data   json.RawMessage `json:"data,omitempty"` // that value, JSON
	Panic  *wirePanic      `json:"panic,omitempty"`
	Poison *wirePoison     `json:"poison,omitempty"`
}

type wirePanic struct {
	Value string   `json:"value"`         // fmt.Sprint of a non-error value
	Err   *wireErr `json:"err,omitempty"` // the value, when it is an error
	Stack string   `json:"stack"`
}

type wirePoison struct {
	Attempts int      `json:"attempts"`
	Last     *wireErr `json:"last"`
}

// encodeErr describes err for the caller.
func encodeErr(err error) *wireErr {
	// A poison error first: its last failure may be a panic.
	if pe, ok := errors.AsType[*PoisonError](err); ok {
		return &wireErr{Msg: err.Error(), Poison: &wirePoison{Attempts: pe.Attempts, Last: encodeErr(pe.Last)}}
	}
	if pe, ok := errors.AsType[*duet.PanicError](err); ok {
		p := &wirePanic{Stack: string(pe.Stack)}
		if v, ok := pe.Value.(error); ok {
			p.Err = encodeErr(v)
		} else {
			p.Value = fmt.Sprint(pe.Value)
		}
		return &wireErr{Msg: err.Error(), Panic: p}
	}
	w := &wireErr{Msg: err.Error()}
	errReg.RLock()
	defer errReg.RUnlock()
	for _, n := range errReg.order {
		if errors.Is(err, errReg.values[n]) {
			w.Is = append(w.Is, n)
		}
	}
	for _, n := range errReg.tnames {
		target := reflect.New(errReg.types[n])
		if errors.As(err, target.Interface()) {
			if data, jerr := json.Marshal(target.Elem().Interface()); jerr == nil {
				w.Type, w.Data = n, data
			}
			break
		}
	}
	return w
}

// decodeErr rebuilds the caller's view of a remote error of task.
func decodeErr(w *wireErr, task string) error {
	if w == nil {
		return &Error{Msg: "remote: a task failed without an error description", Task: task}
	}
	if p := w.Panic; p != nil {
		var v any = p.Value
		if p.Err != nil {
			v = decodeErr(p.Err, task)
		}
		return &duet.PanicError{Value: v, Stack: []byte(p.Stack)}
	}
	if p := w.Poison; p != nil {
		return &PoisonError{Task: task, Attempts: p.Attempts, Last: decodeErr(p.Last, task)}
	}
	e := &Error{Msg: w.Msg, Task: task}
	errReg.RLock()
	defer errReg.RUnlock()
	for _, n := range w.Is {
		if s, ok := errReg.values[n]; ok {
			e.is = append(e.is, s)
		}
	}
	if t, ok := errReg.types[w.Type]; ok {
		v := reflect.New(t)
		if json.Unmarshal(w.Data, v.Interface()) == nil {
			e.err, _ = v.Elem().Interface().(error)
		}
	}
	return e
}
