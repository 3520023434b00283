//go:build unix

package main

import (
	"os"
	"syscall"
)

// peakRSS is the peak resident set size of the process and its waited-for children, in KiB on
// Linux (getrusage's ru_maxrss).
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss)
	}
	return 0
}
