// Package util is a locally replaced module.
package util

import "strings"

// Upper upper-cases.
func Upper(s string) string { return strings.ToUpper(s) }
