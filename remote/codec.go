package remote

import "encoding/json"

// Codec turns a task's arguments and results into bytes and back. Callers
// and workers must use the same one: a task carries its codec's name, and a
// worker whose codec differs fails it with a clear error rather than
// misreading it. A Codec must be safe for concurrent use.
//
// Arguments and results of type []byte (the Task's A or R exactly, not a
// named type or an interface holding one) skip the codec: the bytes travel
// as they are, whatever the codec, and an empty slice may arrive as nil.
//
// JSON is the default. A faster one (protobuf, msgpack, CBOR) plugs in with
// WithCodec on both sides. Python: Dask and Ray pickle; Go cannot ship
// code, so only data travels.
type Codec interface {
	// Name identifies the codec on the wire ("json").
	Name() string
	// Marshal encodes v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into v, a pointer.
	Unmarshal(data []byte, v any) error
}

// JSON is the default codec, encoding/json.
var JSON Codec = jsonCodec{}

type jsonCodec struct{}

func (jsonCodec) Name() string                       { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
