package aio_test

import (
	"context"
	"testing"

	"github.com/duet-go/duet/aio"
)

// BenchmarkToThread measures one aio.ToThread round trip from a task.
func BenchmarkToThread(b *testing.B) {
	b.ReportAllocs()
	aio.Run(context.Background(), func(ctx context.Context) error {
		fn := func(ctx context.Context) (int, error) { return 1, nil }
		aio.ToThread(ctx, fn)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := aio.ToThread(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
		return nil
	})
}
