//go:build linux

package aio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/duet-go/duet"
	"github.com/duet-go/duet/aio"
)

func fileData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// WriteFile, ReadFile, OpenFile and the File methods round-trip from a
// task and from a goroutine.
func TestFileRoundTrip(t *testing.T) {
	data := fileData(3<<20 + 17) // several chunks and a tail
	name := filepath.Join(t.TempDir(), "f")
	runReal(t, func(ctx context.Context) error {
		if err := aio.WriteFile(ctx, name, data, 0o600); err != nil {
			return err
		}
		got, err := aio.ReadFile(ctx, name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ReadFile: %d bytes (equal %v), %v", len(got), bytes.Equal(got, data), err)
		}
		f, err := aio.OpenFile(ctx, name, 2 /* O_RDWR */, 0)
		if err != nil {
			return err
		}
		head, err := f.Read(ctx, 10)
		if err != nil || !bytes.Equal(head, data[:10]) {
			t.Errorf("Read(10) = %v, %v", head, err)
		}
		p := make([]byte, 1<<20)
		if n, err := f.ReadAt(ctx, p, 1000); err != nil || n != len(p) || !bytes.Equal(p, data[1000:1000+len(p)]) {
			t.Errorf("ReadAt = %d, %v", n, err)
		}
		if n, err := f.ReadAt(ctx, p, int64(len(data)-5)); n != 5 || err != io.EOF {
			t.Errorf("ReadAt at the end = %d, %v; want 5, io.EOF", n, err)
		}
		if n, err := f.WriteAt(ctx, []byte("XYZ"), 5); n != 3 || err != nil {
			t.Errorf("WriteAt = %d, %v", n, err)
		}
		if off, err := f.Seek(ctx, 0, io.SeekEnd); err != nil || off != int64(len(data)) {
			t.Errorf("Seek = %d, %v", off, err)
		}
		if n, err := f.Write(ctx, []byte("end")); n != 3 || err != nil {
			t.Errorf("Write = %d, %v", n, err)
		}
		if b, err := f.Read(ctx, 10); b != nil || err != io.EOF {
			t.Errorf("Read at the end = %v, %v; want nil, io.EOF", b, err)
		}
		if err := f.Close(ctx); err != nil {
			return err
		}
		if err := f.Close(ctx); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("second Close: %v; want fs.ErrClosed", err)
		}
		// From a goroutine the same calls block.
		res := duet.NewFuture[[]byte]()
		go func() {
			b, err := aio.ReadFile(context.Background(), name)
			res.Complete(b, err)
		}()
		got, err = duet.Await(ctx, res)
		want := append(append(append(append([]byte{}, data[:5]...), "XYZ"...), data[8:]...), "end"...)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadFile from a goroutine: %d bytes (equal %v), %v", len(got), bytes.Equal(got, want), err)
		}
		if _, err := aio.ReadFile(ctx, filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile of a missing file: %v; want fs.ErrNotExist", err)
		}
		return nil
	})
}

// A read cancelled half way returns what it read with the cancellation;
// the offset is just past those bytes, so the next read continues with
// nothing lost or repeated.
func TestFileReadCancelledHalfWay(t *testing.T) {
	data := fileData(4 << 20) // 16 chunks
	name := filepath.Join(t.TempDir(), "f")
	runReal(t, func(ctx context.Context) error {
		if err := aio.WriteFile(ctx, name, data, 0o600); err != nil {
			return err
		}
		f, err := aio.OpenFile(ctx, name, 0, 0)
		if err != nil {
			return err
		}
		defer f.Close(ctx)
		var reader *aio.Task[[]byte]
		cancelled := make(chan struct{})
		defer aio.SetFileChunkHookForTest(func(wctx context.Context, done int) {
			if done >= len(data)/2 && reader != nil {
				select {
				case <-cancelled:
				default:
					close(cancelled)
					reader.Cancel("half way")
					<-wctx.Done() // the cancellation reaches the work before its next chunk
				}
			}
		})()
		var part []byte
		var partErr error
		reader = aio.Spawn(ctx, func(ctx context.Context) ([]byte, error) {
			part, partErr = f.Read(ctx, len(data))
			return part, partErr
		})
		if _, err := duet.Await(ctx, reader); !errors.Is(err, duet.ErrCancelled) {
			t.Fatalf("the reader ended with %v; want a cancellation", err)
		}
		if !errors.Is(partErr, duet.ErrCancelled) || len(part) < len(data)/2 || len(part) >= len(data) {
			t.Fatalf("cancelled Read = %d bytes, %v; want about half, with the cancellation", len(part), partErr)
		}
		if off, _ := f.Seek(ctx, 0, io.SeekCurrent); off != int64(len(part)) {
			t.Errorf("offset %d after a cancelled read of %d bytes", off, len(part))
		}
		rest, err := f.Read(ctx, len(data))
		if err != nil {
			return err
		}
		if !bytes.Equal(append(part, rest...), data) {
			t.Errorf("the cancelled read and the next one give %d+%d bytes, not the file", len(part), len(rest))
		}
		return nil
	})
}
