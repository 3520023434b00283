package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibraryDependencies keeps each library package free of what it must not import: cobra and
// pflag belong to cmd alone (everything below it is usable as a library), and only gitchanges talks
// to go-git, so git stays behind one seam.
func TestLibraryDependencies(t *testing.T) {
	cli := []string{"github.com/spf13/", "github.com/monoctx/monoctx/cmd"}
	noGit := append([]string{"github.com/go-git/"}, cli...)
	for _, c := range []struct {
		pkg    string
		banned []string
	}{
		{"github.com/monoctx/monoctx/graph", noGit},
		{"github.com/monoctx/monoctx/graph/gitchanges", cli},
		{"github.com/monoctx/monoctx/graph/golang", append([]string{"golang.org/x/tools"}, noGit...)},
		{"github.com/monoctx/monoctx/graph/jsdeps", noGit},
		{"github.com/monoctx/monoctx/context", noGit},
		{"github.com/monoctx/monoctx/builder", noGit},
		{"github.com/monoctx/monoctx/ignore", noGit},
		{"github.com/monoctx/monoctx/hook", noGit},
	} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", c.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", c.pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %d packages; the check would prove nothing", c.pkg, len(deps))
		}
		for _, d := range deps {
			for _, b := range c.banned {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s depends on %s", c.pkg, d)
				}
			}
		}
	}
}
