package aio

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/duet-go/duet"
)

// staggeredRace runs attempts, each started once the one before it has
// failed or delay has passed since it started, whichever comes first, and
// returns the first success and its index (RFC 8305's Connection Attempt
// Delay; Python: asyncio.staggered.staggered_race, which open_connection
// uses for happy_eyeballs_delay). It must run on a loop task: the attempts
// are tasks of its loop.
//
// Once one attempt succeeds the others are cancelled and awaited before
// staggeredRace returns, so none outlives it; one that succeeds anyway (its
// connect finished as the cancel arrived) hands its value to discard (a
// socket to close), so nothing it made leaks. With every attempt failed,
// the error joins theirs, in attempt order. A cancellation of the caller
// cancels every attempt, awaits them, and is returned.
func staggeredRace[T any](ctx context.Context, delay time.Duration, attempts []func(context.Context) (T, error), discard func(T)) (T, int, error) {
	var zero T
	if len(attempts) == 0 {
		return zero, -1, errors.New("aio: no address to connect to")
	}
	type outcome struct {
		i   int
		v   T
		err error
	}
	results := duet.NewQueue[outcome](0)
	decided := false // read and written by tasks of one loop only
	tasks := make([]*Task[struct{}], 0, len(attempts))
	start := func() {
		i := len(tasks)
		tasks = append(tasks, Spawn(ctx, func(ctx context.Context) (struct{}, error) {
			v, err := attempts[i](ctx)
			if decided {
				if err == nil && discard != nil {
					discard(v)
				}
				return struct{}{}, nil
			}
			results.TryPut(outcome{i, v, err})
			return struct{}{}, nil
		}))
	}
	// finish ends the race, won by winner (-1: none): the attempts still
	// running are cancelled and awaited, and every success but the
	// winner's, queued before the end or made after it, is discarded.
	finish := func(winner int) {
		decided = true
		for _, t := range tasks {
			t.Cancel("aio: the connection race is over")
		}
		for _, t := range tasks {
			duet.Await(context.WithoutCancel(ctx), t)
		}
		for {
			o, err := results.TryGet()
			if err != nil {
				return
			}
			if o.err == nil && o.i != winner && discard != nil {
				discard(o.v)
			}
		}
	}
	errs := make([]error, len(attempts))
	running := 0
	start()
	running++
	for {
		var o outcome
		var err error
		if len(tasks) < len(attempts) {
			err = duet.WithTimeout(ctx, delay, func(ctx context.Context) error {
				var gerr error
				o, gerr = results.Get(ctx)
				return gerr
			})
			if errors.Is(err, duet.ErrTimeout) {
				start()
				running++
				continue
			}
		} else {
			o, err = results.Get(ctx)
		}
		if err != nil {
			finish(-1)
			return zero, -1, err
		}
		running--
		if o.err == nil {
			finish(o.i)
			return o.v, o.i, nil
		}
		errs[o.i] = o.err
		switch {
		case len(tasks) < len(attempts):
			start()
			running++
		case running == 0:
			finish(-1)
			if len(errs) == 1 {
				return zero, -1, errs[0] // one failure, not a group
			}
			return zero, -1, errors.Join(errs...)
		}
	}
}

// interleaveAddrs orders addresses for connection attempts as RFC 8305
// section 4 asks (Python: asyncio's _interleave_addrinfos): the first
// family in the resolver's order leads with firstFamilyCount addresses,
// then the families alternate, each keeping its own order.
func interleaveAddrs(addrs []netip.Addr, firstFamilyCount int) []netip.Addr {
	if len(addrs) == 0 {
		return nil
	}
	firstIs6 := addrs[0].Is6() && !addrs[0].Is4In6()
	var first, other []netip.Addr
	for _, a := range addrs {
		if (a.Is6() && !a.Is4In6()) == firstIs6 {
			first = append(first, a)
		} else {
			other = append(other, a)
		}
	}
	out := make([]netip.Addr, 0, len(addrs))
	n := min(max(firstFamilyCount, 1), len(first))
	out = append(out, first[:n]...)
	first = first[n:]
	for len(first) > 0 || len(other) > 0 {
		if len(other) > 0 {
			out = append(out, other[0])
			other = other[1:]
		}
		if len(first) > 0 {
			out = append(out, first[0])
			first = first[1:]
		}
	}
	return out
}
