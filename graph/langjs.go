package graph

import "context"

// jsWorkspace stands in for jsdeps.Workspace until the JS analyzer lands.
type jsWorkspace struct{}

// narrowJS keeps the whole context until the JS workspace analyzer is wired in.
func (l *langCache) narrowJS(ctx context.Context, a *App, pkg string, declared bool) error {
	return nil
}
