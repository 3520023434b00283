package graph

import "context"

// narrow replaces a whole-context input set with the closure of the Go package or JS workspace
// package the Dockerfile builds, when one applies.
func narrow(ctx context.Context, root string, a *App) error {
	return nil
}
