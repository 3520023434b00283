package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKilledContextWriteLeavesNothingInTheWorkTree kills `monoctx context -o` while it writes (once
// its temporary file exists) and checks that nothing shows in the work tree or `git status`, and
// that the next run removes the temporary file the killed one left under the git directory.
func TestKilledContextWriteLeavesNothingInTheWorkTree(t *testing.T) {
	repo := t.TempDir()
	writeFile(t, filepath.Join(repo, "app", "Dockerfile"), "FROM scratch\nCOPY . /app/\n")
	gitInit(t, repo)
	// A large sparse file, ignored by git, keeps the write busy for seconds while costing no disk.
	writeFile(t, filepath.Join(repo, ".gitignore"), "*.bin\n")
	f, err := os.Create(filepath.Join(repo, "app", "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8 << 30); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", ".gitignore")
	git(t, repo, "commit", "-q", "-m", "ignore bins")

	scratch := filepath.Join(repo, ".git", "monoctx", "tmp")
	cmd := exec.Command(monoctxBin, "context", "app", "--gzip", "-o", "app/out.tar.gz")
	cmd.Dir = repo
	// Without the parse cache, whose pack is also written through the scratch directory, the
	// first temporary file there is the context's: the poll below cannot catch the wrong one.
	cmd.Env = append(os.Environ(), "MONOCTX_NO_CACHE=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var tmp []os.DirEntry
	for tmp == nil {
		select {
		case err := <-done:
			t.Fatalf("monoctx context finished (%v) before it could be killed; make big.bin larger", err)
		default:
		}
		tmp, _ = os.ReadDir(scratch)
		if len(tmp) == 0 {
			tmp = nil
			time.Sleep(time.Millisecond) // polling, not a timing assertion
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done

	if st := git(t, repo, "status", "--porcelain", "--ignored=no"); len(st) != 0 {
		t.Errorf("git status after the kill:\n%s", st)
	}
	ents, err := os.ReadDir(filepath.Join(repo, "app"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "Dockerfile" && e.Name() != "big.bin" {
			t.Errorf("app/%s left in the work tree", e.Name())
		}
	}
	if left, _ := os.ReadDir(scratch); len(left) != 1 || !strings.HasSuffix(left[0].Name(), ".tmp") {
		t.Fatalf("scratch holds %v, want the killed run's temporary file", left)
	}
	monoctx(t, repo, "apps")
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		t.Errorf("the next run left %v in %s", left, scratch)
	}
}
