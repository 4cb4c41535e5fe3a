package remote

import (
	"testing"
	"time"
)

func TestTaskMetaRoundTrip(t *testing.T) {
	for _, m := range []taskMeta{
		{id: "ID1", name: "img.resize/v1", inbox: "_INBOX.abc", codec: codecField("json", true, true), retries: 3, backoff: time.Second, deadline: 1764590000123456789},
		{id: "x", name: "n", inbox: "i", codec: "json", retries: 0, backoff: 0, deadline: -1},
	} {
		s := m.encode()
		got, err := parseTaskMeta(s)
		if err != nil || got != m {
			t.Fatalf("parseTaskMeta(%q) = %+v, %v; want %+v", s, got, err, m)
		}
		if n := testing.AllocsPerRun(100, func() { m.encode() }); n != 1 {
			t.Errorf("encode allocates %v times, want 1", n)
		}
	}
	for _, c := range []struct {
		field          string
		name           string
		rawArgs, rawRe bool
	}{{"json", "json", false, false}, {"json,a", "json", true, false}, {"json,r", "json", false, true}, {"cbor,ar", "cbor", true, true}} {
		if n, a, r := parseCodecField(c.field); n != c.name || a != c.rawArgs || r != c.rawRe {
			t.Errorf("parseCodecField(%q) = %q, %v, %v", c.field, n, a, r)
		}
		if f := codecField(c.name, c.rawArgs, c.rawRe); f != c.field {
			t.Errorf("codecField(%q, %v, %v) = %q, want %q", c.name, c.rawArgs, c.rawRe, f, c.field)
		}
	}
}
