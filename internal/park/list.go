package park

// List is an intrusive FIFO of waiters. It is not safe for concurrent use:
// the primitive that owns it guards it with its own mutex.
type List struct {
	head, tail *Waiter
	n          int
}

// Len returns the number of waiters in the list.
func (l *List) Len() int { return l.n }

// Front returns the oldest waiter, or nil.
func (l *List) Front() *Waiter { return l.head }

// Next returns the waiter after w, or nil.
func (w *Waiter) Next() *Waiter { return w.next }

// PushBack appends w.
func (l *List) PushBack(w *Waiter) {
	w.list = l
	w.prev = l.tail
	w.next = nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

// Remove takes w out of l; it reports false if w was not in l.
func (l *List) Remove(w *Waiter) bool {
	if w.list != l {
		return false
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.next, w.prev, w.list = nil, nil, nil
	l.n--
	return true
}

// PopFront removes and returns the oldest waiter, or nil.
func (l *List) PopFront() *Waiter {
	w := l.head
	if w != nil {
		l.Remove(w)
	}
	return w
}

// WakeFirst wakes the oldest pending waiter, removing it and every resolved
// waiter before it; it reports whether one was woken.
func (l *List) WakeFirst() bool {
	for w := l.head; w != nil; w = l.head {
		l.Remove(w)
		if w.Wake() {
			return true
		}
	}
	return false
}

// WakeAll wakes every waiter and empties the list.
func (l *List) WakeAll() { WakeChain(l.Detach()) }

// Detach empties the list and returns its waiters as a chain for
// WakeChain, so that they can be woken after the owner's lock is released.
func (l *List) Detach() *Waiter {
	h := l.head
	for w := h; w != nil; w = w.next {
		w.list = nil
	}
	*l = List{}
	return h
}

// WakeChain wakes, in order, the waiters of a chain returned by Detach.
func WakeChain(w *Waiter) {
	for w != nil {
		nx := w.next
		w.next, w.prev = nil, nil
		w.Wake()
		w = nx
	}
}
