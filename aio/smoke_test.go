package aio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func TestSmoke(t *testing.T) {
	var log []string
	err := aio.Run(context.Background(), func(ctx context.Context) error {
		a := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "a start")
			if err := duet.Sleep(ctx, 20*time.Millisecond); err != nil {
				return 0, err
			}
			log = append(log, "a end")
			return 1, nil
		})
		b := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "b start")
			duet.Sleep(ctx, 0)
			log = append(log, "b end")
			return 2, nil
		})
		c := aio.Spawn(ctx, func(ctx context.Context) (int, error) {
			log = append(log, "c start")
			err := duet.Sleep(ctx, time.Hour)
			log = append(log, fmt.Sprintf("c %v", errors.Is(err, duet.ErrCancelled)))
			return 0, err
		})
		va, err := duet.Await(ctx, a)
		if err != nil || va != 1 {
			return fmt.Errorf("a: %v %v", va, err)
		}
		vb, _ := duet.Await(ctx, b)
		c.Cancel("stop")
		_, err = duet.Await(ctx, c)
		log = append(log, fmt.Sprintf("vb=%d cerr=%v cancelled=%v", vb, err, c.Cancelled()))
		return nil
	}, aio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(log, "|")
	want := "a start|b start|c start|b end|a end|c true|vb=2 cerr=duet: cancelled: stop cancelled=true"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
