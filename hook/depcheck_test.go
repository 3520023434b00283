package hook_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHookDoesNotDependOnTheCLI keeps cobra, pflag and go-git out of the
// library: the CLI translates flags, the git CLI does the git work.
func TestHookDoesNotDependOnTheCLI(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/monoctx/monoctx/hook").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/spf13/", "github.com/go-git/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("hook depends on %s", dep)
			}
		}
	}
}
