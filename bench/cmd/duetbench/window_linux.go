package main

import (
	"slices"
	"time"
)

// window is a load generator's measured window, after a warm-up: it
// reads the server's and its own CPU time at both ends, which echoload and
// udpload report alike.
type window struct {
	pid        int
	dur        time.Duration
	start, end time.Time // the window, once measuring (end: planned)
	measuring  bool
	over       bool
	self0      float64
	user0      int64
	sys0       int64
}

func newWindow(now time.Time, warm, dur time.Duration, pid int) *window {
	return &window{pid: pid, dur: dur, start: now.Add(warm), end: now.Add(warm + dur)}
}

// counts reports whether an event at now falls in the window.
func (w *window) counts(now time.Time) bool { return w.measuring && now.Before(w.end) }

// tick opens the window when the warm-up is over and closes it when its
// time is up, filling res's CPU figures and length then.
func (w *window) tick(now time.Time, res *loadResult) {
	if !w.measuring && !now.Before(w.start) {
		w.measuring = true
		w.user0, w.sys0, _ = procCPUTicks(w.pid)
		w.self0 = selfCPU()
		w.start, w.end = now, now.Add(w.dur)
	}
	if w.measuring && !w.over && !now.Before(w.end) {
		w.over = true
		user1, sys1, _ := procCPUTicks(w.pid)
		res.GenCPU = selfCPU() - w.self0
		res.ServerUser = user1 - w.user0
		res.ServerTick = res.ServerUser + sys1 - w.sys0
		res.ServerCPU = float64(res.ServerTick) / float64(res.ClkTck)
		res.Seconds = now.Sub(w.start).Seconds()
	}
}

// finish fills res's rates and quantiles from the latencies measured.
func (w *window) finish(res *loadResult, lat []int64) {
	res.Requests = len(lat)
	res.RPS = float64(len(lat)) / res.Seconds
	slices.Sort(lat)
	res.P50us = quantileUs(lat, 0.50)
	res.P99us = quantileUs(lat, 0.99)
	if w.pid == 0 {
		res.ServerCPU, res.ServerTick, res.ServerUser = 0, 0, 0
	}
}
