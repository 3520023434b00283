// Package nested is a module of its own inside lib.
package nested
