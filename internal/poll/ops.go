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
