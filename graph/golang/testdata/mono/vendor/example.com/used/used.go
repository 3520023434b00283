// Package used is a vendored module used by cmd/a.
package used

import "example.com/used/sub"

// Name names it.
func Name() string { return sub.Name }
