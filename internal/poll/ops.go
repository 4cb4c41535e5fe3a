package poll

// Reader receives the reads of an FD's StartRead: ReadBuffer lends the
// buffer for the next read (alloc, in the rules of StartRead), ReadDone
// reports what was read into it (done). The two are one interface, not
// two funcs, so that a transport passes itself and keeps no closures:
// every idle connection holds one.
type Reader interface {
	ReadBuffer() []byte
	ReadDone(buf []byte, n int, err error)
}

// Writer receives the completion of an FD's Write.
type Writer interface {
	WriteDone(n int, err error)
}

// ReadFuncs is a Reader made of two funcs, for callers that have no
// type of their own to give.
type ReadFuncs struct {
	Alloc func() []byte
	Done  func(buf []byte, n int, err error)
}

func (r ReadFuncs) ReadBuffer() []byte                    { return r.Alloc() }
func (r ReadFuncs) ReadDone(buf []byte, n int, err error) { r.Done(buf, n, err) }

// WriteFunc is a Writer made of a func.
type WriteFunc func(n int, err error)

func (f WriteFunc) WriteDone(n int, err error) { f(n, err) }
