package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/remote"
)

// quotaError is a registered error type: it travels as a value.
type quotaError struct {
	User  string
	Limit int
}

func (e *quotaError) Error() string { return fmt.Sprintf("quota of %s exceeded (%d)", e.User, e.Limit) }

func init() {
	if err := remote.RegisterError[*quotaError]("test.quota"); err != nil {
		panic(err)
	}
	if err := remote.RegisterErrorValue("io.EOF", io.EOF); err != nil {
		panic(err)
	}
}

var failWith = remote.Define[string, int]("test.fail/v1")

func failRegistry(t *testing.T) *remote.Registry {
	reg := remote.NewRegistry()
	must(t, remote.Handle(reg, failWith, func(ctx context.Context, kind string) (int, error) {
		switch kind {
		case "timeout":
			return 0, fmt.Errorf("backend: %w", duet.ErrTimeout)
		case "quota":
			return 0, fmt.Errorf("charge: %w", &quotaError{User: "ann", Limit: 3})
		case "eof":
			return 0, fmt.Errorf("read: %w", io.EOF)
		case "plain":
			return 0, errors.New("plain failure")
		case "panic":
			panic("the value of a panic")
		case "panicerr":
			panic(fmt.Errorf("wrapped: %w", io.EOF))
		}
		return 1, nil
	}))
	return reg
}

func TestErrorsRoundTrip(t *testing.T) {
	_, c, _ := setup(t, failRegistry(t))
	ctx := ctxT(t)
	get := func(kind string) error {
		_, err := duet.Await(ctx, remote.Submit(ctx, c, failWith, kind))
		return err
	}
	if err := get("timeout"); !errors.Is(err, duet.ErrTimeout) || err.Error() != "backend: duet: timeout" {
		t.Errorf("timeout: %v; want the message kept and errors.Is ErrTimeout", err)
	}
	err := get("quota")
	var q *quotaError
	if !errors.As(err, &q) || q.User != "ann" || q.Limit != 3 || !strings.Contains(err.Error(), "charge: quota of ann") {
		t.Errorf("quota: %v (%#v); want a *quotaError{ann 3} through errors.As", err, q)
	}
	if err := get("eof"); !errors.Is(err, io.EOF) || errors.Is(err, duet.ErrTimeout) {
		t.Errorf("eof: %v; want errors.Is io.EOF (registered) and nothing else", err)
	}
	err = get("plain")
	var re *remote.Error
	if !errors.As(err, &re) || re.Msg != "plain failure" || re.Task != "test.fail/v1" || errors.Is(err, io.EOF) {
		t.Errorf("plain: %v; want a *remote.Error with the message and task", err)
	}
	err = get("panic")
	var pe *duet.PanicError
	if !errors.As(err, &pe) || pe.Value != "the value of a panic" || !strings.Contains(string(pe.Stack), "remote_test.failRegistry") {
		t.Errorf("panic: %v; want a *duet.PanicError with the value and the worker's stack", err)
	}
	if err := get("panicerr"); !errors.As(err, &pe) || !errors.Is(err, io.EOF) {
		t.Errorf("panic of an error: %v; want a *duet.PanicError matching io.EOF", err)
	}
}

func TestRegisterTwiceRefused(t *testing.T) {
	if err := remote.RegisterError[*quotaError]("test.quota2"); err == nil {
		t.Error("a type registered twice was accepted")
	}
	if err := remote.RegisterErrorValue("io.EOF", io.ErrUnexpectedEOF); err == nil {
		t.Error("a name registered twice was accepted")
	}
}
