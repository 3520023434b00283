// Command monoctx computes each Docker app's input set in a monorepo: affected apps, minimal build
// contexts and generated ignore files.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/monoctx/monoctx/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels ctx; restoring the default then lets a second one kill the process.
	go func() { <-ctx.Done(); stop() }()
	code := cmd.Execute(ctx, cmd.System())
	stop()
	os.Exit(code)
}
