package remote

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A task message carries its metadata in one header, not one header per
// field: the server scans every header of every message it stores, and
// the worker parses them, so fewer bytes there are less CPU per task on
// both (measured with cmd/remotebench). Results carry none: their subject
// says it all, <inbox>.ok.<id> or <inbox>.err.<id>.
const (
	hdrMeta = "Duet"     // "1 id name inbox codec retries backoff-ns deadline-ns"
	hdrKey  = "Duet-Key" // the idempotency key, when given: free text, so a header of its own
	wireV1  = "1"
)

// A task's codec field is the codec's name, then, after a comma, flags
// for []byte, which skips the codec both ways (measured with
// cmd/remotebench: encoding/json's base64 of 64 bytes, there and back, was
// about a tenth of a task's CPU): "a" when the arguments are the bytes
// themselves (the caller's A is []byte), "r" when the caller takes a raw
// result (its R is []byte). A worker whose handler's R is []byte then
// answers on <inbox>.raw.<id> with the bytes as they are; any other
// answers as before. An older worker sees a codec name it does not know
// and fails the task with a clear codec error, never a silent drop.
const (
	rawArgsFlag   = 'a'
	rawResultFlag = 'r'
)

// codecField is the codec field of a task whose arguments (rawArgs) or
// result (rawResult) skip the codec called name.
func codecField(name string, rawArgs, rawResult bool) string {
	switch {
	case rawArgs && rawResult:
		return name + ",ar"
	case rawArgs:
		return name + ",a"
	case rawResult:
		return name + ",r"
	}
	return name
}

// parseCodecField splits a codec field into the codec's name and its flags.
func parseCodecField(f string) (name string, rawArgs, rawResult bool) {
	name, flags, _ := strings.Cut(f, ",")
	return name, strings.IndexByte(flags, rawArgsFlag) >= 0, strings.IndexByte(flags, rawResultFlag) >= 0
}

// taskMeta is what a task message says of itself.
type taskMeta struct {
	id, name, inbox, codec string
	retries                int
	backoff                time.Duration // > 0: errors are retried too
	deadline               int64         // unix nanoseconds; 0: none
}

// encode makes the header in one allocation: a Builder's String does not
// copy, where string(bytes) would.
func (t *taskMeta) encode() string {
	var b strings.Builder
	b.Grow(len(wireV1) + len(t.id) + len(t.name) + len(t.inbox) + len(t.codec) + 3*20 + 7)
	b.WriteString(wireV1)
	for _, s := range [...]string{t.id, t.name, t.inbox, t.codec} {
		b.WriteByte(' ')
		b.WriteString(s)
	}
	var num [20]byte
	for _, n := range [...]int64{int64(t.retries), int64(t.backoff), t.deadline} {
		b.WriteByte(' ')
		b.Write(strconv.AppendInt(num[:0], n, 10))
	}
	return b.String()
}

// metaFields splits a task header into its eight fields without
// allocating.
func metaFields(s string) (f [8]string, ok bool) {
	for i := range f {
		var found bool
		f[i], s, found = strings.Cut(s, " ")
		if !found && i != len(f)-1 {
			return f, false
		}
	}
	return f, s == "" && f[0] == wireV1
}

func parseTaskMeta(s string) (taskMeta, error) {
	var t taskMeta
	f, ok := metaFields(s)
	if !ok {
		return t, fmt.Errorf("remote: a task message with header %q: not a task of this version of remote (a newer or older caller?)", s)
	}
	t.id, t.name, t.inbox, t.codec = f[1], f[2], f[3], f[4]
	var err1, err2, err3 error
	t.retries, err1 = strconv.Atoi(f[5])
	var backoff int64
	backoff, err2 = strconv.ParseInt(f[6], 10, 64)
	t.backoff = time.Duration(backoff)
	t.deadline, err3 = strconv.ParseInt(f[7], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return t, fmt.Errorf("remote: a task message with a garbled header %q", s)
	}
	return t, nil
}

// resultKind says how a result message is to be read: its subject tells.
type resultKind uint8

const (
	resultOK  resultKind = iota // the result, encoded with the codec
	resultRaw                   // a []byte result, as it is
	resultErr                   // the error, as wireErr in JSON
)

// Result subjects, under a client's inbox.
const (
	subjOK   = ".ok."
	subjErr  = ".err."
	subjRaw  = ".raw." // a []byte result, as it is (see codecField)
	subjPing = ".ping" // a worker asking whether the caller is still there
	subjDel  = ".del"  // the replies to stream deletes, ignored
)
