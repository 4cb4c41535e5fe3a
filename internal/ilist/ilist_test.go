package ilist_test

import (
	"testing"

	"github.com/duet-go/duet/internal/ilist"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type item struct {
	v     int
	links ilist.Links[item]
}

func (i *item) ListLinks() *ilist.Links[item] { return &i.links }

func values(l *ilist.List[item, *item]) []int {
	var out []int
	l.Each(func(i *item) { out = append(out, i.v) })
	return out
}

func TestPushRemoveOrder(t *testing.T) {
	var l ilist.List[item, *item]
	items := make([]*item, 5)
	for i := range items {
		items[i] = &item{v: i}
		l.PushBack(items[i])
	}
	l.Remove(items[0]) // head
	l.Remove(items[2]) // middle
	l.Remove(items[4]) // tail
	l.Remove(items[2]) // not in the list: nothing happens
	if got := values(&l); len(got) != 2 || got[0] != 1 || got[1] != 3 || l.Len() != 2 {
		t.Fatalf("after removals: %v (len %d)", got, l.Len())
	}
	l.PushBack(items[0]) // a removed element can be added again
	if got := l.All(); len(got) != 3 || got[2] != items[0] {
		t.Fatalf("after re-adding: %v", values(&l))
	}
	l.Remove(items[1])
	l.Remove(items[3])
	l.Remove(items[0])
	if l.Len() != 0 || len(l.All()) != 0 {
		t.Fatal("list not empty")
	}
}

// An element in no list is told apart from the head by the list's head,
// not by a flag: removing one, or a removed head, changes nothing.
func TestRemoveElementInNoList(t *testing.T) {
	var l ilist.List[item, *item]
	a, b, stray := &item{v: 1}, &item{v: 2}, &item{v: 3}
	l.Remove(stray) // empty list
	l.PushBack(a)
	l.PushBack(b)
	l.Remove(stray) // never added
	l.Remove(a)
	l.Remove(a) // the former head, removed again
	if got := values(&l); len(got) != 1 || got[0] != 2 || l.Len() != 1 {
		t.Fatalf("after removals: %v (len %d)", got, l.Len())
	}
	l.Remove(b)
	l.Remove(b) // the last one, removed again
	if l.Len() != 0 || len(l.All()) != 0 {
		t.Fatal("list not empty")
	}
}
