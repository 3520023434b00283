package benchgen_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/bench/benchgen"
	"github.com/monoctx/monoctx/internal/gittest"
)

func TestMain(m *testing.M) {
	if err := gittest.Isolate(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func gitLines(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

func TestMonorepoRanges(t *testing.T) {
	dir := t.TempDir()
	if err := (benchgen.Monorepo{Apps: 10, Files: 600, BigChange: 100}).Write(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := gitLines(t, dir, "diff", "--name-only", "HEAD~1", "HEAD"); len(got) != 1 || got[0] != benchgen.OneFile {
		t.Errorf("HEAD~1..HEAD changes %v, want [%s]", got, benchgen.OneFile)
	}
	big := gitLines(t, dir, "diff", "--name-status", "HEAD~2", "HEAD")
	status := map[string]int{}
	for i := 0; i+1 < len(big); i += 2 {
		status[big[i]]++
	}
	if n := len(big) / 2; n != 100 || status["A"] == 0 || status["D"] == 0 || status["M"] == 0 {
		t.Errorf("HEAD~2..HEAD: %d paths by status %v, want 100 with additions, deletions and modifications", n, status)
	}
	if got := gitLines(t, dir, "ls-files", "apps/*/Dockerfile"); len(got) != 10 {
		t.Errorf("%d Dockerfiles, want 10", len(got))
	}
	// The same sizes give the same commits.
	again := t.TempDir()
	if err := (benchgen.Monorepo{Apps: 10, Files: 600, BigChange: 100}).Write(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if a, b := gitLines(t, dir, "rev-parse", "HEAD"), gitLines(t, again, "rev-parse", "HEAD"); a[0] != b[0] {
		t.Errorf("HEAD %s and %s: generation is not deterministic", a[0], b[0])
	}
}

func TestNPMWorkspaceLockfileAndChange(t *testing.T) {
	dir := t.TempDir()
	if err := (benchgen.NPMWorkspace{Packages: 40, Apps: 5}).Commit(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := gitLines(t, dir, "diff", "--name-only", "HEAD~1", "HEAD"); len(got) != 1 || got[0] != benchgen.NPMOneFile {
		t.Errorf("HEAD~1..HEAD changes %v, want [%s]", got, benchgen.NPMOneFile)
	}
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		LockfileVersion int                        `json:"lockfileVersion"`
		Packages        map[string]json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	// The root, left-pad, and a link plus an entry for each of the 40 workspace packages.
	if lock.LockfileVersion != 3 || len(lock.Packages) != 2+2*40 {
		t.Errorf("lockfile version %d with %d packages, want 3 with %d", lock.LockfileVersion, len(lock.Packages), 2+2*40)
	}
	for _, p := range []string{"apps/app004", "packages/p0034", "node_modules/@bench/p0000", "node_modules/left-pad"} {
		if lock.Packages[p] == nil {
			t.Errorf("package-lock.json lacks %s", p)
		}
	}
	if got := gitLines(t, dir, "ls-files", "apps/*/Dockerfile"); len(got) != 5 {
		t.Errorf("%d Dockerfiles, want 5", len(got))
	}
}
