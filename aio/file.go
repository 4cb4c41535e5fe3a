package aio

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/duet-go/duet/internal/park"
)

// fileChunk bounds one system call of a File: a cancelled read or write
// stops at the next chunk boundary, and a read returning much holds only
// its own buffer.
const fileChunk = 256 << 10

// fileChunkDone, when set (tests), runs on the thread after each chunk.
var fileChunkDone func(ctx context.Context, done int)

// File is an open file that tasks read and write without blocking their
// loop (asyncio has none; Python programs use aiofiles): every method that
// makes a system call that may block takes a context and, called from a
// task, runs the call on the loop's default executor (see ToThread) while
// the loop runs other tasks; called from any other goroutine it just makes
// the call, blocking. Regular files are always "ready" to epoll, so a
// thread is the only way to keep a slow disk, a network file system or a
// page fault off the loop.
//
// Reads and writes are made in chunks of at most 256 KiB, and a
// cancellation (of the task, or the end of ctx) is looked at between
// chunks: a cancelled Read or Write returns what it has done so far with
// the cancellation error, and the file's offset is where its last chunk
// left it, just past the bytes returned or written; nothing is lost and
// nothing is read twice. A chunk that has started finishes first.
//
// A File is safe for use by several tasks and goroutines at once, with
// os.File's rules: the calls that use the offset (Read, Write, Seek)
// interleave in whatever order they are made, chunk by chunk; use ReadAt
// and WriteAt for independent positions.
type File struct {
	f *os.File
}

// OpenFile opens name with os.OpenFile's flag and perm, off the loop
// (aiofiles.open). The error is os.OpenFile's (a *fs.PathError naming
// name, matching fs.ErrNotExist and friends) or a cancellation. The File
// is the caller's to Close.
func OpenFile(ctx context.Context, name string, flag int, perm os.FileMode) (*File, error) {
	if ctx == nil {
		return nil, nilCtx("OpenFile")
	}
	return offLoop(ctx, func(context.Context) (*File, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return &File{f: f}, nil
	})
}

// offLoop runs fn on ctx's loop's default executor when ctx is a task's,
// waiting for it to end even when the task is cancelled meanwhile (fn sees
// the cancellation through its ctx), else calls it.
func offLoop[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) (T, error) {
	if _, ok := park.Current(ctx).(*task); ok {
		return ToThread(ctx, fn)
	}
	return fn(ctx)
}

// chunked runs step for successive chunks of total bytes (total < 0: until
// step says it is done), checking ctx between them, and returns the
// number of bytes done. A task's cancellation comes back from offLoop as
// the task's own error, with done as far as it got; done is kept in the
// caller's variable so that it survives offLoop's error.
func chunked(ctx context.Context, done *int, total int, step func(off, n int) (int, error)) error {
	_, err := offLoop(ctx, func(wctx context.Context) (struct{}, error) {
		for total < 0 || *done < total {
			if err := wctx.Err(); err != nil {
				return struct{}{}, err
			}
			n := fileChunk
			if total >= 0 {
				n = min(n, total-*done)
			}
			k, err := step(*done, n)
			*done += k
			if fileChunkDone != nil {
				fileChunkDone(wctx, *done)
			}
			if err != nil || k == 0 {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return err
}

// Read reads up to n bytes from the file's offset, stopping early only at
// the end of the file (aiofiles: await f.read(n)), and returns them as a
// slice of the caller's own. At the end of the file it returns nil and
// io.EOF; n <= 0 returns an empty slice at once. On a cancellation it
// returns the bytes read so far (possibly none) with the error.
func (f *File) Read(ctx context.Context, n int) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("File.Read")
	}
	if n <= 0 {
		return []byte{}, nil
	}
	buf := make([]byte, 0, min(n, fileChunk))
	got := 0
	err := chunked(ctx, &got, n, func(off, k int) (int, error) {
		if cap(buf)-off < k {
			buf = slices.Grow(buf[:off], k)
		}
		m, err := f.f.Read(buf[off : off+k])
		buf = buf[:off+m]
		return m, err
	})
	buf = buf[:got]
	switch {
	case err == io.EOF && got > 0:
		return buf, nil
	case err == io.EOF:
		return nil, io.EOF
	case err != nil:
		return buf, err
	}
	return buf, nil
}

// ReadAt reads len(p) bytes at offset off into p, as io.ReaderAt (fewer
// only with an error: io.EOF at the end of the file), without moving the
// file's offset. p is written by the executor's thread until ReadAt
// returns. On a cancellation it returns the count read so far with the
// error.
func (f *File) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if ctx == nil {
		return 0, nilCtx("File.ReadAt")
	}
	got := 0
	err := chunked(ctx, &got, len(p), func(at, k int) (int, error) {
		return f.f.ReadAt(p[at:at+k], off+int64(at))
	})
	if err == nil && got < len(p) {
		err = io.EOF
	}
	return got, err
}

// Write writes p at the file's offset (aiofiles: await f.write(p)) and
// returns how many bytes it wrote: len(p), or fewer with an error, a
// cancellation included. p is read by the executor's thread until Write
// returns.
func (f *File) Write(ctx context.Context, p []byte) (int, error) {
	if ctx == nil {
		return 0, nilCtx("File.Write")
	}
	done := 0
	err := chunked(ctx, &done, len(p), func(at, k int) (int, error) {
		return f.f.Write(p[at : at+k])
	})
	return done, err
}

// WriteAt writes p at offset off, as io.WriterAt, without moving the
// file's offset; what Write says of the result holds.
func (f *File) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if ctx == nil {
		return 0, nilCtx("File.WriteAt")
	}
	done := 0
	err := chunked(ctx, &done, len(p), func(at, k int) (int, error) {
		return f.f.WriteAt(p[at:at+k], off+int64(at))
	})
	return done, err
}

// Seek sets the file's offset, as io.Seeker (aiofiles: await f.seek). It
// makes its system call on the caller's goroutine: lseek never waits for
// the disk. The ctx is there for the shape of the other methods; a nil
// one is refused.
func (f *File) Seek(ctx context.Context, offset int64, whence int) (int64, error) {
	if ctx == nil {
		return 0, nilCtx("File.Seek")
	}
	return f.f.Seek(offset, whence)
}

// Close closes the file, off the loop (a close may flush to a network
// file system). Closing twice returns an error matching os.ErrClosed, as
// os.File's does. A cancelled Close still closes the file.
func (f *File) Close(ctx context.Context) error {
	if ctx == nil {
		return nilCtx("File.Close")
	}
	ran := false
	_, err := offLoop(ctx, func(context.Context) (struct{}, error) {
		ran = true
		return struct{}{}, f.f.Close()
	})
	if !ran {
		// Cancelled before the executor took it: close here, since a
		// File whose Close failed to close would leak its fd.
		if cerr := f.f.Close(); cerr != nil {
			return cerr
		}
	}
	return err
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.f.Name() }

// ReadFile returns the contents of the named file, read off the loop in
// chunks (os.ReadFile; aiofiles: open then read). A cancellation returns
// nil and the error: a partial file is no file's contents.
func ReadFile(ctx context.Context, name string) ([]byte, error) {
	if ctx == nil {
		return nil, nilCtx("ReadFile")
	}
	f, err := OpenFile(ctx, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.f.Close() // a read-only close has nothing to flush
	b, err := f.Read(ctx, int(^uint(0)>>1))
	switch {
	case err == io.EOF:
		return []byte{}, nil
	case err != nil:
		return nil, err
	}
	return b, nil
}

// WriteFile writes data to the named file, creating it with perm (before
// umask) or truncating it, off the loop in chunks (os.WriteFile). A
// cancellation stops between chunks and leaves the file with what was
// written; the error says so.
func WriteFile(ctx context.Context, name string, data []byte, perm os.FileMode) error {
	if ctx == nil {
		return nilCtx("WriteFile")
	}
	f, err := OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	n, err := f.Write(ctx, data)
	if cerr := f.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil && n < len(data) {
		return fmt.Errorf("aio: WriteFile(%q): stopped after %d of %d bytes: %w", name, n, len(data), err)
	}
	return err
}
