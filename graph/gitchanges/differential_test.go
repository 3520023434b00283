package gitchanges

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// randomHistory builds a repository with random commits on two branches
// merged back and forth (criss-cross merges included) and returns the
// commits in creation order.
func randomHistory(t *testing.T, seed uint64, commits int) (*repoDir, []string) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r := newRepo(t)
	r.git("config", "diff.renames", "true")
	dirs := []string{"apps/a", "apps/b", "apps/c d", "lib/x", "lib/ü", "tools"}
	var files []string
	newName := func() string {
		return fmt.Sprintf("%s/f%d.txt", dirs[rng.IntN(len(dirs))], rng.IntN(1000))
	}
	for range 10 {
		files = append(files, newName())
	}
	for _, f := range files {
		r.write(f, "seed\n")
	}
	shas := []string{r.commitAll("init")}
	r.git("branch", "side")
	branch := "main"
	for i := range commits {
		if rng.IntN(6) == 0 {
			other := map[string]string{"main": "side", "side": "main"}[branch]
			if rng.IntN(2) == 0 {
				// Merge the other branch in; commit conflicts as they are.
				cmd := exec.Command("git", "merge", "-q", "--no-edit", "-X", "ours", other)
				cmd.Dir = r.dir
				if out, err := cmd.CombinedOutput(); err != nil {
					if !strings.Contains(string(out), "CONFLICT") {
						t.Fatalf("git merge: %v\n%s", err, out)
					}
					r.git("add", "-A")
					r.git("commit", "-q", "--no-edit")
				}
				shas = append(shas, r.git("rev-parse", "HEAD"))
			}
			r.git("checkout", "-q", other)
			branch = other
			files = trackedFiles(r)
			continue
		}
		for range 1 + rng.IntN(4) {
			switch op := rng.IntN(10); {
			case op < 3 || len(files) < 3:
				f := newName()
				r.write(f, fmt.Sprintf("new %d\n", i))
				files = append(files, f)
			case op < 7:
				r.write(files[rng.IntN(len(files))], fmt.Sprintf("edit %d %d\n", i, rng.IntN(100)))
			case op < 8:
				k := rng.IntN(len(files))
				r.remove(files[k])
				files = append(files[:k], files[k+1:]...)
			case op < 9:
				// Move a file to another directory (a rename).
				k := rng.IntN(len(files))
				to := newName()
				if _, err := os.Stat(filepath.Join(r.dir, to)); err == nil {
					continue
				}
				if err := os.MkdirAll(filepath.Dir(filepath.Join(r.dir, to)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(filepath.Join(r.dir, files[k]), filepath.Join(r.dir, to)); err != nil {
					t.Fatal(err)
				}
				files[k] = to
			default:
				f := filepath.Join(r.dir, files[rng.IntN(len(files))])
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(f, fi.Mode()^0o111); err != nil {
					t.Fatal(err)
				}
			}
		}
		shas = append(shas, r.commitAll(fmt.Sprintf("c%d", i)))
	}
	return r, shas
}

// trackedFiles lists the files of HEAD.
func trackedFiles(r *repoDir) []string {
	var fs []string
	for _, f := range strings.Split(r.gitRaw("ls-files", "-z"), "\x00") {
		if f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// gitNameStatus is the reference answer: git's own name-status output
// without rename detection, parsed independently of the engine's parser.
func gitNameStatus(r *repoDir, args ...string) []Change {
	out := r.gitRaw(append([]string{"-c", "core.quotepath=off", "diff", "--no-renames", "--name-status", "-z"}, args...)...)
	fields := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	cs := []Change{}
	for i := 0; i+1 < len(fields); i += 2 {
		st := map[string]Status{"A": Added, "D": Deleted}[fields[i]]
		if st == "" {
			st = Modified
		}
		cs = append(cs, Change{Path: fields[i+1], Status: st})
	}
	return cs
}

func TestDifferentialChangesAgainstGitDiff(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r, shas := randomHistory(t, seed, 40)
			rng := rand.New(rand.NewPCG(seed, 7))
			repos := map[string]*Repo{}
			for _, e := range engines {
				repos[e] = open(t, r.dir, e)
			}
			for range 25 {
				a, b := shas[rng.IntN(len(shas))], shas[rng.IntN(len(shas))]
				wantCs := gitNameStatus(r, a, b)
				names := strings.Split(strings.TrimSuffix(r.gitRaw("-c", "core.quotepath=off", "diff", "--name-only", "--no-renames", "-z", a, b), "\x00"), "\x00")
				if names[0] == "" {
					names = nil
				}
				for _, e := range engines {
					got, err := repos[e].Changes(context.Background(), a, b)
					if err != nil {
						t.Fatalf("%s: Changes(%s, %s): %v", e, a, b, err)
					}
					if !reflect.DeepEqual(got, wantCs) {
						t.Errorf("%s: Changes(%s, %s)\ngot  %q\nwant %q", e, a[:7], b[:7], got, wantCs)
					}
					var gotNames []string
					for _, c := range got {
						gotNames = append(gotNames, c.Path)
					}
					if !reflect.DeepEqual(gotNames, names) {
						t.Errorf("%s: paths of Changes(%s, %s) = %q, want git diff --name-only %q", e, a[:7], b[:7], gotNames, names)
					}
					mb, err := repos[e].MergeBase(context.Background(), a, b)
					wantMB := r.git("merge-base", a, b)
					if err != nil || mb != wantMB {
						t.Errorf("%s: MergeBase(%s, %s) = %q, %v; want %q", e, a[:7], b[:7], mb, err, wantMB)
					}
				}
			}

			// Dirty the work tree at random and compare with git.
			base := shas[rng.IntN(len(shas))]
			files := trackedFiles(r)
			for i, f := range files {
				switch rng.IntN(8) {
				case 0:
					r.write(f, fmt.Sprintf("dirty %d\n", i))
				case 1:
					r.remove(f)
				case 2:
					r.write(f, fmt.Sprintf("staged %d\n", i))
					r.git("add", "--", f)
				}
			}
			r.write("apps/a/untracked.txt", "u", "new/dir/u.txt", "u")
			wantWT := gitNameStatus(r, base)
			for _, f := range strings.Split(r.gitRaw("-c", "core.quotepath=off", "ls-files", "-z", "--others", "--exclude-standard"), "\x00") {
				if f != "" {
					wantWT = append(wantWT, Change{Path: f, Status: Added})
				}
			}
			sort.Slice(wantWT, func(i, j int) bool { return wantWT[i].Path < wantWT[j].Path })
			for _, e := range engines {
				got, err := repos[e].Changes(context.Background(), base, "")
				if err != nil {
					t.Fatalf("%s: Changes(%s, work tree): %v", e, base, err)
				}
				if !reflect.DeepEqual(got, wantWT) {
					t.Errorf("%s: Changes(%s, work tree)\ngot  %q\nwant %q", e, base[:7], got, wantWT)
				}
			}
			assertChanges(t, stagedAll(t, r.dir), gitNameStatus(r, "--cached", "HEAD"))
		})
	}
}

// TestDifferentialSubmoduleChanges compares the engines with each other and
// with git on a submodule an app would COPY: a build sends the submodule's
// files as they are on disk, so a modified or untracked file in it, or a
// HEAD moved without a commit in the superproject, is a change of the
// submodule's path, even where .gitmodules says ignore = all.
func TestDifferentialSubmoduleChanges(t *testing.T) {
	lib := newRepo(t)
	lib.write("f.txt", "one\n", ".gitignore", "*.log\n")
	lib.commitAll("l1")
	lib.write("g.txt", "two\n")
	lib.commitAll("l2")

	r := newRepo(t)
	r.write("app/Dockerfile", "FROM scratch\nCOPY libs/sub /sub\n")
	r.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.dir, "libs/sub")
	base := r.commitAll("add the submodule")
	sub := r.at(filepath.Join(r.dir, "libs", "sub"))

	// check compares both engines and git's own answer with the changes
	// between base and the work tree.
	check := func(t *testing.T, wantWT []Change) {
		t.Helper()
		ref := gitNameStatus(r, "--ignore-submodules=none", base)
		if !reflect.DeepEqual(ref, wantWT) {
			t.Fatalf("git diff --ignore-submodules=none %s = %q, want %q", base[:7], ref, wantWT)
		}
		for _, e := range engines {
			got, err := open(t, r.dir, e).Changes(context.Background(), base, "")
			if err != nil {
				t.Fatalf("%s: Changes(%s, work tree): %v", e, base[:7], err)
			}
			if !reflect.DeepEqual(got, wantWT) {
				t.Errorf("%s: Changes(%s, work tree) = %q, want %q", e, base[:7], got, wantWT)
			}
		}
	}
	for _, ignore := range []string{"", "all"} {
		t.Run("ignore="+ignore, func(t *testing.T) {
			if ignore != "" {
				// Set in the config git reads, not committed: the superproject
				// work tree itself must stay clean for the cases below.
				r.git("config", "submodule.libs/sub.ignore", ignore)
				r.git("config", "diff.ignoreSubmodules", ignore)
				t.Cleanup(func() {
					r.git("config", "--unset", "submodule.libs/sub.ignore")
					r.git("config", "--unset", "diff.ignoreSubmodules")
				})
			}
			t.Run("clean", func(t *testing.T) { check(t, want()) })
			t.Run("ignored file", func(t *testing.T) {
				sub.write("debug.log", "x\n")
				defer sub.remove("debug.log")
				check(t, want())
			})
			t.Run("modified tracked file", func(t *testing.T) {
				sub.write("f.txt", "changed\n")
				defer sub.git("checkout", "-q", "--", "f.txt")
				check(t, want("M libs/sub"))
			})
			t.Run("staged then reverted in the work tree", func(t *testing.T) {
				sub.write("f.txt", "changed\n")
				sub.git("add", "f.txt")
				sub.write("f.txt", "one\n")
				defer sub.git("reset", "-q", "--", "f.txt")
				check(t, want("M libs/sub"))
			})
			t.Run("untracked file", func(t *testing.T) {
				sub.write("new/u.txt", "u\n")
				defer sub.remove("new")
				check(t, want("M libs/sub"))
			})
			t.Run("HEAD moved", func(t *testing.T) {
				sub.git("checkout", "-q", "HEAD~1")
				defer sub.git("checkout", "-q", "main")
				check(t, want("M libs/sub"))
				assertChanges(t, stagedAll(t, r.dir), want())
			})
			t.Run("HEAD moved and staged", func(t *testing.T) {
				sub.git("checkout", "-q", "HEAD~1")
				r.git("add", "libs/sub")
				defer func() {
					r.git("reset", "-q", "--", "libs/sub")
					sub.git("checkout", "-q", "main")
				}()
				check(t, want("M libs/sub"))
				assertChanges(t, stagedAll(t, r.dir), want("M libs/sub"))
				assertChanges(t, gitNameStatus(r, "--cached", "--ignore-submodules=none", "HEAD"), want("M libs/sub"))
			})
		})
	}
	t.Run("not checked out", func(t *testing.T) {
		r.git("submodule", "deinit", "-q", "libs/sub")
		defer r.git("-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init", "libs/sub")
		check(t, want())
	})

	// Between commits the submodule's recorded commit is compared.
	sub.git("checkout", "-q", "HEAD~1")
	moved := r.commitAll("move the submodule back")
	sub.git("checkout", "-q", "main")
	assertChanges(t, changesAll(t, r.dir, base, moved), want("M libs/sub"))
	assertChanges(t, gitNameStatus(r, base, moved), want("M libs/sub"))
}
