// Command monoctx computes each Docker app's input set in a monorepo: affected apps, minimal build
// contexts and generated ignore files.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/monoctx/monoctx/cmd"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels ctx; restoring the default then lets a second one kill the process.
	go func() { <-ctx.Done(); stop() }()
	code := cmd.Execute(ctx, cmd.System())
	stop()
	os.Exit(code)
}

// GC settings of a short command whose heap is mostly what it keeps to the end (the graph, the
// parse cache's packs): collecting at 5× the live heap instead of 2× took a sixth off warm and cold
// runs on loki and the npm workspace, for a few MB of peak RSS. The soft limit brings collection
// back to normal on a heap that large.
const (
	gcPercent   = 400
	memoryLimit = 512 << 20
)

// tuneGC applies the settings where the user's GOGC and GOMEMLIMIT do not say otherwise; it
// returns what it set, for the test.
func tuneGC(getenv func(string) string) (percent int, limit int64) {
	percent, limit = -1, -1
	if getenv("GOGC") == "" {
		percent = gcPercent
		debug.SetGCPercent(percent)
	}
	if getenv("GOMEMLIMIT") == "" {
		limit = memoryLimit
		debug.SetMemoryLimit(limit)
	}
	return percent, limit
}
