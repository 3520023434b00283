//go:build !unix

package tree

import (
	"os"
	"testing"
)

// mkfifo makes a regular file where there are no named pipes, and says so: it is listed like any
// other file.
func mkfifo(t *testing.T, p string) bool {
	t.Helper()
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return false
}
