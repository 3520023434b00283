// Package greet is in a workspace module.
package greet

// Hello greets.
func Hello() string { return "hello" }
