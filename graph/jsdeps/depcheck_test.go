package jsdeps

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps this library free of CLI and git dependencies: it
// is called by the graph package, never the other way round.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/", "github.com/go-git/", "github.com/monoctx/monoctx/cmd", "golang.org/x/tools"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("depends on %s", dep)
			}
		}
	}
}
