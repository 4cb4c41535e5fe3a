package aio_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/duet-go/duet/aio"
)

// Linux's abstract Unix sockets ('@' names) have no file: nothing is
// removed before the bind or after Close, and datagrams carry the name.
func TestUnixAbstractSockets(t *testing.T) {
	name := "@duet-test-" + strconv.Itoa(os.Getpid())
	runTCP(t, func(ctx context.Context, _ *[]aio.ExceptionContext) error {
		srv, err := aio.Listen(ctx, "unix", name+"-stream", upper)
		if err != nil {
			return err
		}
		s, err := aio.Dial(ctx, "unix", name+"-stream")
		if err != nil {
			return err
		}
		s.Write(ctx, []byte("abstract\n"))
		if line, err := s.ReadLine(ctx); string(line) != "ABSTRACT\n" {
			return fmt.Errorf("stream: %q, %v", line, err)
		}
		s.Close()
		srv.Close()

		echo, cli := dechoServer(), newDrec()
		if err := endpoint(ctx, "unixgram", name+"-srv", "", echo); err != nil {
			return err
		}
		if err := endpoint(ctx, "unixgram", name+"-cli", name+"-srv", cli); err != nil {
			return err
		}
		cli.t.Send([]byte("hi"))
		if err := until(ctx, "the echo", func() bool { return len(cli.got) == 1 }); err != nil {
			return err
		}
		if got := echo.from[0]; got == nil || got.String() != name+"-cli" {
			return fmt.Errorf("the sender's address is %v, want %s", got, name+"-cli")
		}
		return closeAndWait(ctx, echo, cli)
	})
}
