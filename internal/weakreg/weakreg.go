// Package weakreg is a registry of live values that does not keep them
// alive: aio's loops and thread's pools register themselves in one so that
// inspection can enumerate them, and a value dropped without being closed
// is collected as if it had never been listed.
package weakreg

import (
	"sync"
	"weak"
)

// List holds weak pointers, in the order they were added. The zero value
// is empty and ready; it is safe for concurrent use.
type List[T any] struct {
	mu    sync.Mutex
	items []weak.Pointer[T]
}

// Add lists v.
func (l *List[T]) Add(v *T) {
	l.mu.Lock()
	l.items = append(l.items, weak.Make(v))
	l.mu.Unlock()
}

// Remove unlists v.
func (l *List[T]) Remove(v *T) {
	l.All(func(x *T) bool { return x != v })
}

// All returns the listed values that are still alive and for which keep
// (nil: keep all) reports true, and forgets the others.
func (l *List[T]) All(keep func(*T) bool) []*T {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*T, 0, len(l.items))
	kept := l.items[:0]
	for _, p := range l.items {
		if v := p.Value(); v != nil && (keep == nil || keep(v)) {
			kept = append(kept, p)
			out = append(out, v)
		}
	}
	clear(l.items[len(kept):])
	l.items = kept
	return out
}
