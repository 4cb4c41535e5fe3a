package conformance

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// Barrier scenarios of the drain and the action: py/barrier_drain_reenter.py
// (asyncio) and py/barrier_threads_action.py (threading, from threads).
// The other barrier scenarios live in sync_test.go and edge*_test.go.

func init() {
	register("barrier_drain_reenter", barrierDrainReenter)
	register("barrier_threads_action", barrierThreadsAction)
}

func barrierDrainReenter(ctx context.Context, tr *Trace) error {
	b, err := duet.NewBarrier(3)
	if err != nil {
		return err
	}
	party := func(name string, rounds int) func(context.Context) (none, error) {
		return func(ctx context.Context) (none, error) {
			for rnd := range rounds {
				tr.Log(name, "arrives for round", rnd, "waiting", b.NWaiting())
				i, err := b.Wait(ctx)
				if err != nil {
					return none{}, err
				}
				tr.Log(name, "passes round", rnd, "index", i, "waiting", b.NWaiting())
			}
			return none{}, nil
		}
	}
	a := aio.Spawn(ctx, party("a", 2))
	c := aio.Spawn(ctx, party("c", 2))
	if err := duet.Sleep(ctx, 10*ms); err != nil {
		return err
	}
	// main releases round 0 and re-enters at once, while a and c drain.
	if _, err := party("main", 2)(ctx); err != nil {
		return err
	}
	if err := awaitAll(ctx, a, c); err != nil {
		return err
	}
	tr.Log("broken", b.Broken(), "waiting", b.NWaiting())
	return nil
}

func barrierThreadsAction(ctx context.Context, tr *Trace) error {
	lines, err := aio.ToThread(ctx, func(context.Context) ([][]any, error) {
		var log [][]any
		bg := context.Background()
		g1ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
		defer cancel()
		var b *duet.Barrier
		b, err := duet.NewBarrier(3, duet.WithBarrierAction(func(context.Context) error {
			log = append(log, []any{"action, waiting", b.NWaiting(), "broken", b.Broken()})
			<-g1ctx.Done() // g1's timeout ends during the action
			return nil
		}))
		if err != nil {
			return nil, err
		}
		var mu sync.Mutex
		got := map[string]any{}
		party := func(ctx context.Context, name string) {
			i, err := b.Wait(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				got[name] = err
			} else {
				got[name] = i
			}
		}
		var wg sync.WaitGroup
		for n, pctx := range []context.Context{g1ctx, bg} {
			wg.Add(1)
			go func() { defer wg.Done(); party(pctx, fmt.Sprint("g", n+1)) }()
			for b.NWaiting() < n+1 {
				time.Sleep(time.Millisecond)
			}
		}
		party(bg, "g3")
		wg.Wait()
		log = append(log, []any{"indexes", []any{got["g1"], got["g2"], got["g3"]}})
		log = append(log, []any{"broken", b.Broken(), "waiting", b.NWaiting()})
		return log, nil
	})
	for _, l := range lines {
		tr.Log(l...)
	}
	return err
}
