// Package bonly is a vendored module used by cmd/b.
package bonly

// Name names it.
func Name() string { return "bonly" }
