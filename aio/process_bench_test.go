//go:build linux

package aio_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/duet-go/duet/aio"
)

// BenchmarkProcessEcho starts /bin/echo with stdout piped and reads its
// output to the end, one child at a time (the bench module's subprocess
// row); BenchmarkOSExecEcho is os/exec doing the same, for the ratio.
func BenchmarkProcessEcho(b *testing.B) {
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		for b.Loop() {
			p, err := aio.StartProcess(ctx, "/bin/echo", []string{"hi"}, aio.WithStdout(aio.Pipe))
			if err != nil {
				return err
			}
			if _, _, err := p.Communicate(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkOSExecEcho(b *testing.B) {
	for b.Loop() {
		if _, err := exec.Command("/bin/echo", "hi").Output(); err != nil {
			b.Fatal(err)
		}
	}
}
