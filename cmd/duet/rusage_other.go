//go:build !unix

package main

import (
	"os"
	"time"
)

// peakRSS is not known here: the report shows "n/a".
func peakRSS(*os.ProcessState) int64 { return 0 }

// cpuTime is not known here: the parent's figure for the whole process
// is used instead.
func cpuTime() time.Duration { return 0 }

func selfPeakRSS() int64 { return 0 }
