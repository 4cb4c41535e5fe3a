// Package ilist is a generic intrusive doubly linked list: the links live
// in the elements, so adding and removing allocate nothing. The event loop
// keeps its live tasks in one and a Group its running children. It is not
// safe for concurrent use; its owner guards it.
package ilist

// Links are the list pointers an element embeds.
type Links[T any] struct{ next, prev *T }

// Elem is a pointer to an element that embeds Links.
type Elem[T any] interface {
	*T
	ListLinks() *Links[T]
}

// List is a FIFO of elements of type T, reached through *T.
type List[T any, P Elem[T]] struct {
	head, tail *T
	n          int
}

// Len returns the number of elements.
func (l *List[T, P]) Len() int { return l.n }

// PushBack appends e, which must not be in a list.
func (l *List[T, P]) PushBack(e *T) {
	k := P(e).ListLinks()
	k.prev, k.next = l.tail, nil
	if l.tail != nil {
		P(l.tail).ListLinks().next = e
	} else {
		l.head = e
	}
	l.tail = e
	l.n++
}

// Remove takes e out of the list; it does nothing if e is in no list. (An
// element in another list of the same type must not be passed: its links
// alone cannot tell which list holds it.)
func (l *List[T, P]) Remove(e *T) {
	k := P(e).ListLinks()
	if k.prev == nil && l.head != e {
		return // in no list (an element with no prev heads its list)
	}
	if k.prev != nil {
		P(k.prev).ListLinks().next = k.next
	} else {
		l.head = k.next
	}
	if k.next != nil {
		P(k.next).ListLinks().prev = k.prev
	} else {
		l.tail = k.prev
	}
	*k = Links[T]{}
	l.n--
}

// All returns the elements in order.
func (l *List[T, P]) All() []*T {
	out := make([]*T, 0, l.n)
	for e := l.head; e != nil; e = P(e).ListLinks().next {
		out = append(out, e)
	}
	return out
}

// Each calls fn for every element in order; fn must not change the list.
func (l *List[T, P]) Each(fn func(*T)) {
	for e := l.head; e != nil; e = P(e).ListLinks().next {
		fn(e)
	}
}
