package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibrariesDoNotImportTheCLI keeps cobra and pflag out of the library packages: only cmd wires
// flags, and everything below it is usable as a library.
func TestLibrariesDoNotImportTheCLI(t *testing.T) {
	forbidden := []string{"github.com/spf13/cobra", "github.com/spf13/pflag", "github.com/monoctx/monoctx/cmd"}
	for _, pkg := range []string{
		"github.com/monoctx/monoctx/graph/...",
		"github.com/monoctx/monoctx/context",
		"github.com/monoctx/monoctx/ignore",
		"github.com/monoctx/monoctx/hook",
	} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %d packages; the check would prove nothing", pkg, len(deps))
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}
