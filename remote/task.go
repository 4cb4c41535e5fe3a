package remote

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Task names a remote function taking A and returning R. Go cannot ship a
// closure to another process, so a task is a stable, versioned name that
// callers submit and workers implement (the way Temporal activities, River
// and asynq name theirs):
//
//	var Resize = remote.Define[ResizeArgs, Image]("img.resize/v1")
//
// Change the name's version when A or R change incompatibly: a worker that
// serves only "img.resize/v2" fails a "img.resize/v1" task with
// ErrUnknownTask naming the versions it has, never silently. A Task is a
// small value, safe to copy and share. Python: the function given to Dask's
// client.submit, a Ray @ray.remote function.
type Task[A, R any] struct{ name string }

// Define returns the task called name. A name is made of letters, digits
// and ".-_/", with a version after a slash by convention ("img.resize/v1").
// Define panics on an invalid name: tasks are defined once, as package
// variables, where a typo must stop the program at start.
func Define[A, R any](name string) Task[A, R] {
	if err := checkName(name); err != nil {
		panic(err)
	}
	return Task[A, R]{name: name}
}

// Name returns the task's name.
func (t Task[A, R]) Name() string { return t.name }

func checkName(name string) error {
	if name == "" {
		return errors.New("remote: Define(\"\"): a task needs a name, such as \"img.resize/v1\"")
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_/", r)
		if !ok {
			return fmt.Errorf("remote: Define(%q): %q is not allowed in a task name (use letters, digits and .-_/)", name, r)
		}
	}
	return nil
}

// Registry holds the task implementations a worker serves. Handle adds one;
// Serve runs them. A Registry is safe for concurrent use; handlers added
// after Serve started are served too.
type Registry struct {
	mu       sync.RWMutex
	handlers map[string]handler
}

// handler runs one task from its encoded arguments (rawArgs: the []byte
// arguments themselves), returning its encoded result, or the []byte
// result itself (raw) when rawResult asks for one and the task's R is
// []byte (see codecField).
type handler func(ctx context.Context, c Codec, args []byte, rawArgs, rawResult bool) (out []byte, raw bool, err error)

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{handlers: map[string]handler{}} }

// Handle makes reg run impl for task t. impl receives the task's context,
// cancelled when the caller cancels, its timeout passes, the caller goes
// away or the worker shuts down; Info tells the attempt and idempotency
// key. impl's error goes back to the caller's future (see Submit for what
// travels); a panic becomes a *duet.PanicError there. Handling a name twice
// is an error: one name, one meaning.
func Handle[A, R any](reg *Registry, t Task[A, R], impl func(ctx context.Context, args A) (R, error)) error {
	switch {
	case reg == nil:
		return errors.New("remote: Handle on a nil *Registry (make one with NewRegistry)")
	case t.name == "":
		return errors.New("remote: Handle of a zero Task (make tasks with Define)")
	case impl == nil:
		return fmt.Errorf("remote: Handle(%s): nil implementation", t.name)
	}
	_, bytesA := any((*A)(nil)).(*[]byte)
	_, bytesR := any((*R)(nil)).(*[]byte)
	h := func(ctx context.Context, c Codec, data []byte, rawArgs, rawResult bool) ([]byte, bool, error) {
		var args A
		switch {
		case rawArgs && bytesA:
			args = any(data).(A)
		case rawArgs:
			return nil, false, &codecError{what: fmt.Sprintf("decode the arguments of %s as %T", t.name, args),
				err: errors.New("the caller sent them as raw bytes (its task takes []byte): a type mismatch between caller and worker under one name")}
		default:
			if err := c.Unmarshal(data, &args); err != nil {
				return nil, false, &codecError{what: fmt.Sprintf("decode the arguments of %s as %T", t.name, args), err: err}
			}
		}
		r, err := impl(ctx, args)
		if err != nil {
			return nil, false, err
		}
		if rawResult && bytesR {
			return any(r).([]byte), true, nil
		}
		out, err := c.Marshal(r)
		if err != nil {
			return nil, false, &codecError{what: fmt.Sprintf("encode the result of %s (%T)", t.name, r), err: err}
		}
		return out, false, nil
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if _, dup := reg.handlers[t.name]; dup {
		return fmt.Errorf("remote: Handle(%s): the task already has a handler in this registry", t.name)
	}
	reg.handlers[t.name] = h
	return nil
}

// lookup returns name's handler, or an ErrUnknownTask error listing the
// versions of the same task the registry has.
func (reg *Registry) lookup(name string) (handler, error) {
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	if h, ok := reg.handlers[name]; ok {
		return h, nil
	}
	base, _, _ := strings.Cut(name, "/")
	var near []string
	for n := range reg.handlers {
		if b, _, _ := strings.Cut(n, "/"); b == base {
			near = append(near, n)
		}
	}
	sort.Strings(near)
	if len(near) > 0 {
		return nil, fmt.Errorf("remote: no handler for task %q on this worker (it serves %s: a version mismatch between caller and worker?): %w", name, strings.Join(near, ", "), ErrUnknownTask)
	}
	return nil, fmt.Errorf("remote: no handler for task %q on this worker (register it with remote.Handle before Serve): %w", name, ErrUnknownTask)
}
