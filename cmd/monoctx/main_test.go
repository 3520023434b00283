package main

import (
	"runtime/debug"
	"testing"
)

// The GC settings apply only where the user's GOGC and GOMEMLIMIT are unset.
func TestTuneGCLeavesTheUsersSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	env := func(vals map[string]string) func(string) string {
		return func(k string) string { return vals[k] }
	}
	if p, l := tuneGC(env(nil)); p != gcPercent || l != memoryLimit || debug.SetGCPercent(-1) != gcPercent || debug.SetMemoryLimit(-1) != memoryLimit {
		t.Errorf("without GOGC and GOMEMLIMIT: set %d, %d; want %d, %d in effect", p, l, gcPercent, memoryLimit)
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40)
	if p, l := tuneGC(env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"})); p != -1 || l != -1 || debug.SetGCPercent(-1) != 100 || debug.SetMemoryLimit(-1) != 1<<40 {
		t.Errorf("with GOGC and GOMEMLIMIT set: tuneGC set %d, %d; want neither changed", p, l)
	}
}
