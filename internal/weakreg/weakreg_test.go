package weakreg

import (
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type item struct {
	n   int
	pad [64]byte // not a tiny allocation, which would share a block with others and live on
}

func TestListKeepsOrderAndDropsCollected(t *testing.T) {
	var l List[item]
	a, b, c := &item{n: 1}, &item{n: 2}, &item{n: 3}
	l.Add(a)
	l.Add(b)
	l.Add(c)
	l.Remove(b)
	if got := l.All(nil); len(got) != 2 || got[0] != a || got[1] != c {
		t.Fatalf("All = %v, want [a c]", got)
	}
	if got := l.All(func(x *item) bool { return x.n != 3 }); len(got) != 1 || got[0] != a {
		t.Fatalf("All(keep) = %v, want [a]", got)
	}
	l.Add(&item{n: 4}) // dropped at once
	runtime.GC()
	if got := l.All(nil); len(got) != 1 || got[0] != a {
		t.Fatalf("after GC All = %v, want [a] (c was filtered out, the unreferenced item collected)", got)
	}
	runtime.KeepAlive(a)
}
