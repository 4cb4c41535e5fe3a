package main

// loadResult is what "duetbench echoload" prints: one JSON line.
type loadResult struct {
	Conns      int     `json:"conns"`
	Requests   int     `json:"requests"` // echoes completed in the measured window
	Seconds    float64 `json:"seconds"`  // length of the measured window
	RPS        float64 `json:"rps"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
	Errors     int     `json:"errors"` // failed connects, resets, EOFs, short writes, stray bytes
	ServerCPU  float64 `json:"server_cpu_s"`
	ServerTick int64   `json:"server_ticks"` // utime+stime
	ServerUser int64   `json:"server_user_ticks"`
	ClkTck     int64   `json:"clk_tck"`
	GenCPU     float64 `json:"gen_cpu_s"` // this generator's own utime+stime in the window
	FirstError string  `json:"first_error,omitempty"`
}

// cpuPerReq is the server's CPU time per request in µs.
func cpuPerReq(r loadResult) float64 {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / float64(r.Requests) * 1e6
}

// userPerReq is the user-mode part of cpuPerReq (the rest is the kernel's:
// syscalls and, for a loopback write, the delivery to the other end).
func userPerReq(r loadResult) float64 {
	if r.Requests == 0 || r.ClkTck == 0 {
		return 0
	}
	return float64(r.ServerUser) / float64(r.ClkTck) / float64(r.Requests) * 1e6
}
