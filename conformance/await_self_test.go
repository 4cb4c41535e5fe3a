package conformance

import (
	"context"
	"errors"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func init() {
	register("await_self", awaitSelf)
}

func awaitSelf(ctx context.Context, tr *Trace) error {
	var t *aio.Task[int]
	t = aio.Spawn(ctx, func(ctx context.Context) (int, error) {
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return 0, err
		}
		tr.Log("body awaits itself")
		if _, err := duet.Await(ctx, t); errors.Is(err, duet.ErrInvalidState) {
			tr.Log("body refused")
		}
		if err := duet.Sleep(ctx, 10*ms); err != nil {
			return 0, err
		}
		tr.Log("body goes on")
		return 7, nil
	})
	v, err := duet.Await(ctx, t)
	if err != nil {
		return err
	}
	tr.Log("main got", v, "done", t.IsDone())
	return nil
}
