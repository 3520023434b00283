package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/monoctx/monoctx/cmd"
	"github.com/monoctx/monoctx/internal/gittest"
)

// run runs monoctx in-process in dir with the extra environment env and returns stdout; a non-zero
// exit fails the test.
func run(t *testing.T, dir string, env map[string]string, args ...string) string {
	t.Helper()
	return runIn(t, dir, env, "", args...)
}

// runIn is run with stdin.
func runIn(t *testing.T, dir string, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cmd.Env{In: strings.NewReader(stdin), Out: &out, Err: &errb,
		Getwd: func() (string, error) { return dir, nil },
		Getenv: func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			return os.Getenv(k)
		},
		LookPath: exec.LookPath, Self: os.Executable}
	if code := cmd.ExecuteArgs(context.Background(), e, args); code != 0 {
		t.Fatalf("monoctx %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	if strings.Contains(errb.String(), "cache") {
		t.Errorf("monoctx %s: %s", strings.Join(args, " "), errb.String())
	}
	return out.String()
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("git", append([]string{"-C", dir, "-c", "commit.gpgsign=false"}, args...)...)
	c.Env = append(os.Environ(), gittest.Environ()...)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// packs lists the cache's pack files; nil when the cache directory does not exist.
func packs(t *testing.T, repo string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(repo, ".git", "monoctx", "cache"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtureRepo commits the fixture in a new git repository, then commits a second change that
// touches every fifth tracked file (a trailing newline: new blob ids, the same parse) plus change.
func fixtureRepo(t *testing.T, fill func(dir string), change map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	fill(dir)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	files := strings.Fields(git(t, dir, "ls-files"))
	sort.Strings(files)
	for i, f := range files {
		if i%5 != 2 {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f))
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, dir, change)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "change")
	return dir
}

// generatedFiles is a Go module of 120 packages with four whole-context Dockerfiles that build
// its commands, beside an npm workspace of 60 packages with six apps.
func generatedFiles() map[string]string {
	files := map[string]string{"go.mod": "module example.com/gen\n\ngo 1.22\n",
		"package.json": `{"name": "gen", "private": true, "workspaces": ["js/*"]}` + "\n"}
	for i := range 120 {
		var imps []string
		for _, d := range []int{i / 2, i / 3, i - 7} {
			if d >= 0 && d < i {
				imps = append(imps, fmt.Sprintf("\t_ \"example.com/gen/pkg/p%d\"\n", d))
			}
		}
		files[fmt.Sprintf("pkg/p%d/p.go", i)] = fmt.Sprintf("package p%d\n\nimport (\n%s)\n", i, strings.Join(imps, ""))
		files[fmt.Sprintf("pkg/p%d/data.txt", i)] = "data\n"
	}
	for c := range 4 {
		files[fmt.Sprintf("cmd/c%d/main.go", c)] = fmt.Sprintf("package main\n\nimport _ \"example.com/gen/pkg/p%d\"\n\nfunc main() {}\n", 30+c*25)
		files[fmt.Sprintf("cmd/c%d/Dockerfile", c)] = fmt.Sprintf("FROM golang:1.26\nWORKDIR /src\nCOPY . .\nRUN go build -o /c ./cmd/c%d\n", c)
	}
	for i := range 60 {
		var deps []string
		for _, d := range []int{i / 2, i / 3} {
			if d < i {
				deps = append(deps, fmt.Sprintf(`"@gen/j%d": "*"`, d))
			}
		}
		files[fmt.Sprintf("js/j%d/package.json", i)] = fmt.Sprintf(`{"name": "@gen/j%d", "dependencies": {%s}}`+"\n", i, strings.Join(deps, ", "))
		files[fmt.Sprintf("js/j%d/index.js", i)] = "module.exports = 1\n"
		if i%10 == 9 {
			files[fmt.Sprintf("js/j%d/Dockerfile", i)] = fmt.Sprintf("FROM node:20\nWORKDIR /src\nCOPY . .\nRUN npm ci -w @gen/j%d\n", i)
		}
	}
	return files
}

// TestCachedRunsAnswerAsUncached runs apps and affected on the fixture repositories and a generated
// one without the cache, with a cold cache and with a warm one: the JSON is the same, the cold run
// writes the cache, the warm one adds nothing to it (every parse was a hit), --no-cache writes
// nothing.
func TestCachedRunsAnswerAsUncached(t *testing.T) {
	for k, v := range gittest.Vars() {
		t.Setenv(k, v)
	}
	fromDir := func(src string, extra map[string]string) func(string) {
		return func(dir string) {
			copyTree(t, src, dir)
			writeFiles(t, dir, extra)
		}
	}
	fromTxtar := func(file string) func(string) {
		return func(dir string) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string]string{}
			for _, f := range ar.Files {
				files[f.Name] = string(f.Data)
			}
			writeFiles(t, dir, files)
		}
	}
	type fixture struct {
		name   string
		fill   func(string)
		change map[string]string
	}
	fixtures := []fixture{
		{"example", fromDir("../../testdata/example", nil), nil},
		{"documenso", fromDir("../../graph/testdata/documenso", nil), nil},
		{"langfuse", fromDir("../../graph/testdata/langfuse", nil), nil},
		{"golang-mono", fromDir("../../graph/golang/testdata/mono", map[string]string{
			"cmd/a/Dockerfile": "FROM golang:1.26\nWORKDIR /src\nCOPY . .\nRUN go build ./cmd/a\n",
			"cmd/b/Dockerfile": "FROM golang:1.26\nWORKDIR /src\nCOPY . .\nRUN go build ./cmd/b\n",
		}), nil},
		{"generated", func(dir string) { writeFiles(t, dir, generatedFiles()) }, map[string]string{
			// A new import and a new workspace dependency: closures change with the content.
			"pkg/p100/p.go":       "package p100\n\nimport _ \"example.com/gen/pkg/p119\"\n",
			"js/j59/package.json": `{"name": "@gen/j59", "dependencies": {"@gen/j58": "*"}}` + "\n",
		}},
	}
	txtars, err := filepath.Glob("../../graph/testdata/artifacts/*.txtar")
	if err != nil || len(txtars) == 0 {
		t.Fatalf("no artifact fixtures: %v", err)
	}
	for _, f := range txtars {
		fixtures = append(fixtures, fixture{"artifacts-" + strings.TrimSuffix(filepath.Base(f), ".txtar"), fromTxtar(f), nil})
	}
	commands := [][]string{
		{"apps", "--format", "json"},
		{"affected", "--base", "HEAD~1", "--format", "json"},
		{"affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"},
	}
	off := map[string]string{"MONOCTX_NO_CACHE": "1"}
	dirs := map[string]string{}
	for _, fx := range fixtures {
		dirs[fx.name] = fixtureRepo(t, fx.fill, fx.change)
	}
	// The Go closures are kept with a trace only of files changed over a second before the run
	// began (see golang.WithClosureCache): past that, the first cached run keeps them too.
	time.Sleep(1100 * time.Millisecond)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			dir := dirs[fx.name]
			uncached := map[int]string{}
			for i, args := range commands {
				uncached[i] = run(t, dir, off, args...)
				if i == 0 {
					if again := run(t, dir, nil, append([]string{"--no-cache"}, args...)...); again != uncached[i] {
						t.Errorf("--no-cache and MONOCTX_NO_CACHE=1 disagree")
					}
				}
			}
			if !strings.Contains(uncached[0], `"name"`) {
				t.Fatalf("the fixture has no apps:\n%s", uncached[0])
			}
			if p := packs(t, dir); p != nil {
				t.Fatalf("runs without the cache wrote %v", p)
			}
			for i, args := range commands {
				if cold := run(t, dir, nil, args...); cold != uncached[i] {
					t.Errorf("monoctx %s, cold cache:\n%s\nwithout the cache:\n%s", strings.Join(args, " "), cold, uncached[i])
				}
			}
			written := packs(t, dir)
			if len(written) == 0 {
				t.Fatal("the cached runs wrote no cache")
			}
			for i, args := range commands {
				if warm := run(t, dir, nil, args...); warm != uncached[i] {
					t.Errorf("monoctx %s, warm cache:\n%s\nwithout the cache:\n%s", strings.Join(args, " "), warm, uncached[i])
				}
			}
			if now := packs(t, dir); strings.Join(now, " ") != strings.Join(written, " ") {
				t.Errorf("warm runs changed the cache from %v to %v: something was not a hit", written, now)
			}
		})
	}
}

// TestConcurrentRunsShareTheCache runs monoctx four times at once on a cold cache, twice: every run
// answers as an uncached one, and the cache ends up holding every parse.
func TestConcurrentRunsShareTheCache(t *testing.T) {
	for k, v := range gittest.Vars() {
		t.Setenv(k, v)
	}
	dir := fixtureRepo(t, func(dir string) { writeFiles(t, dir, generatedFiles()) }, nil)
	time.Sleep(1100 * time.Millisecond) // past the racy second: the concurrent runs keep the Go closures too
	args := []string{"affected", "--base", "HEAD~1", "--head", "HEAD", "--format", "json"}
	want := run(t, dir, map[string]string{"MONOCTX_NO_CACHE": "1"}, args...)
	for round := range 2 {
		var wg sync.WaitGroup
		outs := make([]string, 4)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i] = run(t, dir, nil, args...)
			}()
		}
		wg.Wait()
		for i, got := range outs {
			if got != want {
				t.Errorf("round %d, run %d:\n%s\nwant:\n%s", round, i, got, want)
			}
		}
	}
	before := packs(t, dir)
	if got := run(t, dir, nil, args...); got != want {
		t.Errorf("after the concurrent runs:\n%s\nwant:\n%s", got, want)
	}
	if after := packs(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("a run after the concurrent ones still wrote to the cache (%v → %v): they lost parses", before, after)
	}
}

// TestKeptGoClosuresFollowEdits: the Go closures kept across runs answer as a fresh analysis after
// an edit of the work tree, both right after it (the trace no longer holds) and once the edited
// tree's closures are kept in turn.
func TestKeptGoClosuresFollowEdits(t *testing.T) {
	for k, v := range gittest.Vars() {
		t.Setenv(k, v)
	}
	dir := fixtureRepo(t, func(dir string) {
		copyTree(t, "../../graph/golang/testdata/mono", dir)
		writeFiles(t, dir, map[string]string{
			"cmd/a/Dockerfile": "FROM golang:1.26\nWORKDIR /src\nCOPY . .\nRUN go build ./cmd/a\n",
			"cmd/b/Dockerfile": "FROM golang:1.26\nWORKDIR /src\nCOPY . .\nRUN go build ./cmd/b\n",
		})
	}, nil)
	off := map[string]string{"MONOCTX_NO_CACHE": "1"}
	args := []string{"affected", "--files", "-", "--format", "json"}
	affected := func(env map[string]string) string {
		t.Helper()
		// internal/testonly is imported by a test of cmd/a only, until the edit below.
		return runIn(t, dir, env, "internal/testonly/testonly.go\n", args...)
	}
	check := func(when string) string {
		t.Helper()
		want := affected(off)
		for i := range 2 {
			if got := affected(nil); got != want {
				t.Fatalf("%s, cached run %d:\n%s\nwithout the cache:\n%s", when, i, got, want)
			}
		}
		return want
	}
	time.Sleep(1100 * time.Millisecond)
	before := check("before the edit")
	kept := packs(t, dir)
	if again := affected(nil); again != before || strings.Join(packs(t, dir), " ") != strings.Join(kept, " ") {
		t.Errorf("a third run wrote to the cache: the closures were not kept (%v, then %v)", kept, packs(t, dir))
	}
	token := filepath.Join(dir, "pkg", "token", "token.go")
	data, err := os.ReadFile(token)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "package token\n", "package token\n\nimport _ \"example.com/mono/internal/testonly\"\n", 1)
	if edited == string(data) {
		t.Fatalf("the fixture's token.go changed shape:\n%s", data)
	}
	if err := os.WriteFile(token, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	after := check("right after the edit")
	if after == before {
		t.Fatalf("the edit does not change what is affected: the test shows nothing\n%s", after)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := check("a second after the edit"); got != after {
		t.Errorf("a second after the edit:\n%s\nright after it:\n%s", got, after)
	}

	// In commits: C1 changes internal/testonly (only a test of cmd/a imports it), C2 makes
	// token import it, C3 changes it again. --head C1 reads C1's tree (its closures kept under its
	// id), --head HEAD the work tree (C3): neither may answer with the other's closures.
	testonly := filepath.Join(dir, "internal", "testonly", "testonly.go")
	touch := func(msg string) {
		t.Helper()
		f, err := os.OpenFile(testonly, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("// " + msg + "\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		git(t, dir, "commit", "-q", "-m", msg, "--", testonly)
	}
	if err := os.WriteFile(token, data, 0o644); err != nil {
		t.Fatal(err)
	}
	touch("C1")
	if err := os.WriteFile(token, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "C2")
	touch("C3")
	time.Sleep(1100 * time.Millisecond)
	ranges := map[string][]string{"C1": {"--base", "HEAD~3", "--head", "HEAD~2"}, "C3": {"--base", "HEAD~1", "--head", "HEAD"}}
	got := map[string]string{}
	for name, r := range ranges {
		args := append([]string{"affected"}, r...)
		want := run(t, dir, off, args...)
		for i := range 3 {
			if out := run(t, dir, nil, args...); out != want {
				t.Errorf("%s, cached run %d:\n%s\nwithout the cache:\n%s", name, i, out, want)
			}
		}
		got[name] = want
	}
	if strings.Contains(got["C1"], "a\n") || !strings.Contains(got["C3"], "a\n") {
		t.Errorf("C1 affects %q, C3 %q: want a affected by C3 only (its token imports testonly)", got["C1"], got["C3"])
	}
}
