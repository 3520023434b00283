// Package testonly is imported only by tests.
package testonly

// X is a value.
const X = 1
