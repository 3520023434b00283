package gitchanges

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The benchmarks run on a generated repository of MONOCTX_BENCH_FILES files
// (default 20,000) with benchCommits commits on top, each touching a few
// dozen files. It is built once and kept in MONOCTX_BENCH_DIR (default a
// directory under os.TempDir named after the file count) for later runs.
//
//	MONOCTX_BENCH_FILES=200000 go test -run '^$' -bench . ./graph/gitchanges/
const benchCommits = 50

// benchRepo returns the directory of the generated benchmark repository.
func benchRepo(b *testing.B) string {
	b.Helper()
	n := 20000
	if s := os.Getenv("MONOCTX_BENCH_FILES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 100 {
			b.Fatalf("MONOCTX_BENCH_FILES=%q: want an integer >= 100", s)
		}
		n = v
	}
	dir := os.Getenv("MONOCTX_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("monoctx-bench-gitchanges-%d", n))
	}
	marker := filepath.Join(dir, ".git", "monoctx-bench-done")
	if _, err := os.Stat(marker); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	r := &repoDir{t: b, dir: dir}
	r.git("-c", "init.defaultBranch=main", "init", "-q")
	r.git("config", "commit.gpgsign", "false")
	// 1,000 projects of n/1000 files in nested directories.
	paths := make([]string, n)
	for i := range n {
		paths[i] = fmt.Sprintf("apps/p%03d/src/m%02d/f%d.go", i%1000, (i/1000)%20, i)
		full := filepath.Join(dir, filepath.FromSlash(paths[i]))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(fmt.Sprintf("package m\n\nconst X%d = %d\n", i, i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	r.write(".gitignore", "*.log\n")
	r.commitAll("base")
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range benchCommits {
		for range 20 {
			p := paths[rng.IntN(n)]
			r.write(p, fmt.Sprintf("package m\n\n// edit %d\n", c))
		}
		r.write(fmt.Sprintf("apps/p%03d/new%d.go", rng.IntN(1000), c), "package m\n")
		r.commitAll(fmt.Sprintf("c%d", c))
	}
	// A dirty work tree for the status benchmarks.
	for i := range 10 {
		r.write(paths[rng.IntN(n)], fmt.Sprintf("dirty %d\n", i), fmt.Sprintf("apps/p%03d/untracked%d.go", i, i), "u\n")
	}
	r.write("debug.log", "ignored\n")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

var benchBase = fmt.Sprintf("HEAD~%d", benchCommits)

func BenchmarkChanges(b *testing.B) {
	dir := benchRepo(b)
	for _, e := range engines {
		b.Run(e, func(b *testing.B) {
			ctx := context.Background()
			repo := open(b, dir, e)
			base, err := repo.Resolve(ctx, benchBase)
			if err != nil {
				b.Fatal(err)
			}
			head, err := repo.Resolve(ctx, "HEAD")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			n := 0
			for b.Loop() {
				cs, err := repo.Changes(ctx, base, head)
				if err != nil {
					b.Fatal(err)
				}
				n = len(cs)
			}
			b.ReportMetric(float64(n), "paths")
		})
	}
}

// BenchmarkGitDiffCLI is the baseline: "git diff --name-only" on the same
// range as BenchmarkChanges.
func BenchmarkGitDiffCLI(b *testing.B) {
	dir := benchRepo(b)
	base := (&repoDir{t: b, dir: dir}).git("rev-parse", benchBase)
	for b.Loop() {
		cmd := exec.Command("git", "diff", "--name-only", "--no-renames", base, "HEAD")
		cmd.Dir = dir
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChangesWorkTree(b *testing.B) {
	dir := benchRepo(b)
	for _, e := range engines {
		b.Run(e, func(b *testing.B) {
			ctx := context.Background()
			repo := open(b, dir, e)
			base, err := repo.Resolve(ctx, benchBase)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			n := 0
			for b.Loop() {
				cs, err := repo.Changes(ctx, base, "")
				if err != nil {
					b.Fatal(err)
				}
				n = len(cs)
			}
			b.ReportMetric(float64(n), "paths")
		})
	}
}

// BenchmarkGitStatusCLI is the work-tree baseline: "git status
// --porcelain" (HEAD vs index vs work tree, untracked files included).
func BenchmarkGitStatusCLI(b *testing.B) {
	dir := benchRepo(b)
	for b.Loop() {
		cmd := exec.Command("git", "status", "--porcelain=v2", "-z", "--untracked-files=all")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrackedSize(b *testing.B) {
	dir := benchRepo(b)
	for _, e := range engines {
		b.Run(e, func(b *testing.B) {
			repo := open(b, dir, e)
			for b.Loop() {
				if _, _, err := repo.TrackedSize(context.Background(), "apps/p001"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGitLsFilesDebug is the alternative TrackedSize could use: index
// stat data through "git ls-files --debug".
func BenchmarkGitLsFilesDebug(b *testing.B) {
	dir := benchRepo(b)
	repo := open(b, dir, EngineGit)
	cli := repo.eng.(*cliEngine)
	for b.Loop() {
		if _, _, err := cli.trackedSize(context.Background(), "apps/p001/"); err != nil {
			b.Fatal(err)
		}
	}
}
