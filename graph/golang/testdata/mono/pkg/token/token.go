// Package token is shared by both commands.
package token

// New returns a token.
func New() string { return "t" }
