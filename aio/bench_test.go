package aio_test

import (
	"context"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

// BenchmarkSpawnAwait measures create_task + await of a trivial task.
func BenchmarkSpawnAwait(b *testing.B) {
	b.ReportAllocs()
	aio.Run(context.Background(), func(ctx context.Context) error {
		fn := func(ctx context.Context) (int, error) { return 1, nil }
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t := aio.Spawn(ctx, fn)
			if _, err := duet.Await(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}

// BenchmarkSleepZero measures one Sleep(ctx, 0) step with two tasks taking
// turns (each op is one step of one task).
func BenchmarkSleepZero(b *testing.B) {
	b.ReportAllocs()
	aio.Run(context.Background(), func(ctx context.Context) error {
		n := b.N / 2
		body := func(ctx context.Context) (int, error) {
			for i := 0; i < n; i++ {
				duet.Sleep(ctx, 0)
			}
			return 0, nil
		}
		b.ResetTimer()
		t1 := aio.Spawn(ctx, body)
		t2 := aio.Spawn(ctx, body)
		duet.Await(ctx, t1)
		duet.Await(ctx, t2)
		return nil
	})
}
