package aio

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
)

// attempt is a fake connection attempt: it takes d on the loop's clock,
// then fails with err or succeeds with its name. stubborn ones finish even
// when cancelled (a connect that completed as the cancel arrived).
type attempt struct {
	name     string
	d        time.Duration
	err      error
	stubborn bool
}

func raceLog(t *testing.T, delay time.Duration, as []attempt, cancelAt time.Duration) string {
	t.Helper()
	var log []string
	err := Run(context.Background(), func(ctx context.Context) error {
		l := LoopOf(ctx)
		t0 := l.Time()
		at := func() time.Duration { return l.Time().Sub(t0) }
		fns := make([]func(context.Context) (string, error), len(as))
		for i, a := range as {
			fns[i] = func(ctx context.Context) (string, error) {
				log = append(log, fmt.Sprintf("%v start %s", at(), a.name))
				err := duet.Sleep(ctx, a.d)
				if err != nil && !a.stubborn {
					log = append(log, fmt.Sprintf("%v cancelled %s", at(), a.name))
					return "", err
				}
				if err != nil {
					duet.Sleep(context.WithoutCancel(ctx), a.d)
				}
				if a.err != nil {
					return "", a.err
				}
				return a.name, nil
			}
		}
		race := Spawn(ctx, func(ctx context.Context) (string, error) {
			v, i, err := staggeredRace(ctx, delay, fns, func(v string) {
				log = append(log, fmt.Sprintf("%v discard %s", at(), v))
			})
			log = append(log, fmt.Sprintf("%v race %q %d %v", at(), v, i, err))
			return v, err
		})
		if cancelAt > 0 {
			duet.Sleep(ctx, cancelAt)
			race.Cancel("caller")
		}
		duet.Await(ctx, race)
		return nil
	}, WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(log, "\n")
}

func TestStaggeredRace(t *testing.T) {
	errA, errB := errors.New("refused A"), errors.New("refused B")
	cases := []struct {
		name     string
		delay    time.Duration
		as       []attempt
		cancelAt time.Duration
		want     string
	}{
		{"first wins", 250 * time.Millisecond, []attempt{{name: "a", d: 10 * time.Millisecond}, {name: "b"}},
			0, "0s start a\n10ms race \"a\" 0 <nil>"},
		{"slow first, second after the delay", 250 * time.Millisecond,
			[]attempt{{name: "a", d: time.Hour}, {name: "b", d: 10 * time.Millisecond}}, 0,
			"0s start a\n250ms start b\n260ms cancelled a\n260ms race \"b\" 1 <nil>"},
		{"a failure starts the next at once", 250 * time.Millisecond,
			[]attempt{{name: "a", d: 50 * time.Millisecond, err: errA}, {name: "b", d: 10 * time.Millisecond}}, 0,
			"0s start a\n50ms start b\n60ms race \"b\" 1 <nil>"},
		{"all fail", 250 * time.Millisecond,
			[]attempt{{name: "a", d: 50 * time.Millisecond, err: errA}, {name: "b", d: 10 * time.Millisecond, err: errB}}, 0,
			"0s start a\n50ms start b\n60ms race \"\" -1 refused A\nrefused B"},
		{"a late success is discarded", 100 * time.Millisecond,
			[]attempt{{name: "a", d: 150 * time.Millisecond, stubborn: true}, {name: "b", d: 10 * time.Millisecond}}, 0,
			"0s start a\n100ms start b\n260ms discard a\n260ms race \"b\" 1 <nil>"},
		{"NoTimeout: one after another", duet.NoTimeout,
			[]attempt{{name: "a", d: time.Second, err: errA}, {name: "b", d: 10 * time.Millisecond}}, 0,
			"0s start a\n1s start b\n1.01s race \"b\" 1 <nil>"},
		{"the caller is cancelled", 250 * time.Millisecond,
			[]attempt{{name: "a", d: time.Hour}, {name: "b", d: time.Hour}}, 300 * time.Millisecond,
			"0s start a\n250ms start b\n300ms cancelled a\n300ms cancelled b\n300ms race \"\" -1 duet: cancelled: caller"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := raceLog(t, c.delay, c.as, c.cancelAt); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestInterleaveAddrs(t *testing.T) {
	p := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, x := range s {
			out = append(out, netip.MustParseAddr(x))
		}
		return out
	}
	in := p("::1", "::2", "10.0.0.1", "10.0.0.2", "::3")
	if got, want := interleaveAddrs(in, 1), p("::1", "10.0.0.1", "::2", "10.0.0.2", "::3"); !slices.Equal(got, want) {
		t.Errorf("count 1: %v, want %v", got, want)
	}
	if got, want := interleaveAddrs(in, 2), p("::1", "::2", "10.0.0.1", "::3", "10.0.0.2"); !slices.Equal(got, want) {
		t.Errorf("count 2: %v, want %v", got, want)
	}
	if got := interleaveAddrs(nil, 1); got != nil {
		t.Errorf("no addresses: %v", got)
	}
}
