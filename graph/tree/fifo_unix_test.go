//go:build unix

package tree

import (
	"syscall"
	"testing"
)

func mkfifo(t *testing.T, p string) bool {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return true
}
