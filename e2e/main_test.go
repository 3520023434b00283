package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/monoctx/monoctx/internal/gittest"
)

// monoctxBin is the binary built once by TestMain.
var monoctxBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// Tests may run from a git hook (GIT_DIR, GIT_INDEX_FILE) or a shell that sets the example
	// fixture's compose or bake variables: neither may leak into the fixtures.
	if err := gittest.Isolate("API_TAG", "BILLING_TARGET", "WEB_TARGET", "COMPOSE_FILE", "COMPOSE_PROFILES",
		"COMPOSE_PROJECT_NAME", "BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "monoctx-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	monoctxBin = filepath.Join(dir, "monoctx")
	build := exec.Command("go", "build", "-o", monoctxBin, "github.com/monoctx/monoctx/cmd/monoctx")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building monoctx:", err)
		return 1
	}
	return m.Run()
}

// ---- engine and builders ----

var engineOnce struct {
	sync.Once
	err error
}

// requireEngine skips (or, with CI=true, fails) when no Docker engine answers.
func requireEngine(tb testing.TB) {
	tb.Helper()
	engineOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput()
		if err != nil {
			engineOnce.err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
	})
	if engineOnce.err != nil {
		unavailable(tb, "no Docker engine (run under scripts/with-dockerd): %v", engineOnce.err)
	}
}

func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// dockerCLI is one docker CLI set up for one builder.
type dockerCLI struct {
	name string // "legacy" or "buildkit"
	bin  string
	env  []string // DOCKER_BUILDKIT=0 or 1
}

func (c dockerCLI) buildkit() bool { return c.name == "buildkit" }

// dockerCLIs returns the legacy builder (the docker CLI on PATH with DOCKER_BUILDKIT=0) and
// BuildKit ($MONOCTX_DOCKER_BUILDKIT_CLI with DOCKER_BUILDKIT=1).
func dockerCLIs(tb testing.TB) []dockerCLI {
	tb.Helper()
	requireEngine(tb)
	legacy, err := exec.LookPath("docker")
	if err != nil {
		unavailable(tb, "docker is not on PATH")
	}
	bk := os.Getenv("MONOCTX_DOCKER_BUILDKIT_CLI")
	if bk == "" {
		unavailable(tb, "MONOCTX_DOCKER_BUILDKIT_CLI is not set (scripts/with-dockerd sets it when /usr/bin/docker exists)")
	}
	return []dockerCLI{
		{name: "legacy", bin: legacy, env: []string{"DOCKER_BUILDKIT=0"}},
		{name: "buildkit", bin: bk, env: []string{"DOCKER_BUILDKIT=1"}},
	}
}

// result is a finished subprocess.
type result struct {
	stdout, stderr []byte
	code           int
}

// runCmd runs argv in dir with extra environment and stdin; it fails the test only when the
// process cannot be started.
func runCmd(tb testing.TB, dir string, env []string, stdin io.Reader, argv ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return result{out.Bytes(), errb.Bytes(), 0}
	case errors.As(err, &ee):
		return result{out.Bytes(), errb.Bytes(), ee.ExitCode()}
	}
	tb.Fatalf("%s: %v", strings.Join(argv, " "), err)
	return result{}
}

// mustRun runs argv and fails the test on a non-zero exit.
func mustRun(tb testing.TB, dir string, env []string, stdin io.Reader, argv ...string) []byte {
	tb.Helper()
	r := runCmd(tb, dir, env, stdin, argv...)
	if r.code != 0 {
		tb.Fatalf("%s (in %s): exit %d\n%s", strings.Join(argv, " "), dir, r.code, tail(r.stderr))
	}
	return r.stdout
}

// monoctx runs the binary in dir.
func monoctx(tb testing.TB, dir string, args ...string) []byte {
	tb.Helper()
	return mustRun(tb, dir, nil, nil, append([]string{monoctxBin}, args...)...)
}

func tail(b []byte) string {
	const max = 4000
	if len(b) > max {
		return "…" + string(b[len(b)-max:])
	}
	return string(b)
}

// newTag returns a unique image tag and removes the image when the test ends.
func newTag(tb testing.TB, prefix string, cli string) string {
	tb.Helper()
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		tb.Fatal(err)
	}
	tag := prefix + "-" + hex.EncodeToString(id[:])
	tb.Cleanup(func() { removeImage(tb, cli, tag) })
	return tag
}

func removeImage(tb testing.TB, cli, tag string) {
	tb.Helper()
	if r := runCmd(tb, "", nil, nil, cli, "image", "inspect", tag); r.code != 0 {
		return // never built
	}
	if r := runCmd(tb, "", nil, nil, cli, "rmi", "-f", tag); r.code != 0 {
		tb.Errorf("removing image %s: %s", tag, r.stderr)
	}
}

// ---- image and tar contents ----

// fileEntry is one file of a tar, an image or a context.
type fileEntry struct {
	Hdr     tar.Header
	Content []byte
}

// readTar reads a tar completely, keyed by clean path (no "./", no trailing "/").
func readTar(tb testing.TB, r io.Reader) map[string]fileEntry {
	tb.Helper()
	tr := tar.NewReader(r)
	out := map[string]fileEntry{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("reading tar after %d entries: %v", len(out), err)
		}
		c, err := io.ReadAll(tr)
		if err != nil {
			tb.Fatalf("reading %q from tar: %v", h.Name, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		if h.Typeflag == tar.TypeLink {
			h.Linkname = strings.TrimSuffix(strings.TrimPrefix(h.Linkname, "./"), "/")
		}
		out[name] = fileEntry{Hdr: *h, Content: c}
	}
}

// runtimeEntries are what `docker create` adds to every container's filesystem.
var runtimeEntries = []string{".dockerenv", "dev", "etc", "proc", "sys", "run"}

// exportImage returns the image's filesystem (`docker create` + `docker export`), without the
// entries the runtime adds.
func exportImage(tb testing.TB, cli, tag string) map[string]fileEntry {
	tb.Helper()
	cid := strings.TrimSpace(string(mustRun(tb, "", nil, nil, cli, "create", tag, "/none")))
	defer func() {
		if r := runCmd(tb, "", nil, nil, cli, "rm", "-f", cid); r.code != 0 {
			tb.Errorf("removing container %s: %s", cid, r.stderr)
		}
	}()
	data := mustRun(tb, "", nil, nil, cli, "export", cid)
	files := readTar(tb, bytes.NewReader(data))
	for name := range files {
		for _, r := range runtimeEntries {
			if name == r || strings.HasPrefix(name, r+"/") {
				delete(files, name)
			}
		}
	}
	return files
}

// subtree returns the entries below dir, keyed relative to it; hard-link targets are rewritten
// the same way.
func subtree(files map[string]fileEntry, dir string) map[string]fileEntry {
	out := map[string]fileEntry{}
	for name, e := range files {
		rel, ok := strings.CutPrefix(name, dir+"/")
		if !ok {
			continue
		}
		if e.Hdr.Typeflag == tar.TypeLink {
			e.Hdr.Linkname = strings.TrimPrefix(e.Hdr.Linkname, dir+"/")
		}
		out[rel] = e
	}
	return out
}

// kind is an entry's type for comparison: hard links count as files.
func kind(e fileEntry) byte {
	switch e.Hdr.Typeflag {
	case tar.TypeDir:
		return 'd'
	case tar.TypeSymlink:
		return 'l'
	}
	return 'f'
}

// content resolves hard links within files.
func content(files map[string]fileEntry, e fileEntry) []byte {
	if e.Hdr.Typeflag == tar.TypeLink {
		return files[e.Hdr.Linkname].Content
	}
	return e.Content
}

// compareOptions say what a comparison leaves out.
type compareOptions struct {
	// Ignore names paths compared in neither direction.
	Ignore map[string]bool
	// WantOnly names paths that may be in want and missing from got (the always-sent
	// Dockerfile and ignore file). When both have one, type and mode are compared.
	WantOnly map[string]bool
	// NoContent names paths whose content is not compared.
	NoContent map[string]bool
	// Known reports differences on known issues instead of failing; Scope names the comparison.
	Known *knownIssues
	Scope string
}

// knownIssues are differences that reproduce a reported bug or an engine limitation, keyed by
// scope ("context", "legacy", "buildkit") and path; a difference on a path at or below a key is
// logged instead of failing the test. An issue that no longer reproduces fails the test, so the
// list cannot go stale: remove its entry when it is fixed.
type knownIssues struct {
	issues map[[2]string]string // {scope, path} → reason
	hit    map[[2]string]bool
}

func newKnownIssues() *knownIssues {
	return &knownIssues{issues: map[[2]string]string{}, hit: map[[2]string]bool{}}
}

func (k *knownIssues) add(scope, path, reason string) {
	k.issues[[2]string{scope, path}] = reason
}

// errorf fails tb unless p is at or below a known issue's path in scope.
func (k *knownIssues) errorf(tb testing.TB, scope, p, format string, args ...any) {
	tb.Helper()
	known := false
	if k != nil {
		// Every matching issue is marked, so overlapping entries never depend on map order.
		for key, reason := range k.issues {
			if key[0] == scope && (p == key[1] || strings.HasPrefix(p, key[1]+"/")) {
				k.hit[key] = true
				if !known {
					tb.Logf("known issue (%s): "+format, append([]any{reason}, args...)...)
				}
				known = true
			}
		}
	}
	if !known {
		tb.Errorf(format, args...)
	}
}

// verify fails tb for every known issue in scope that did not reproduce.
func (k *knownIssues) verify(tb testing.TB, scope string) {
	tb.Helper()
	for key, reason := range k.issues {
		if key[0] == scope && !k.hit[key] {
			tb.Errorf("known issue no longer reproduces for %s %q (%s): remove it from the known issues", scope, key[1], reason)
		}
	}
}

// compareTrees reports every difference between want and got in path set, type, permission
// bits, content and symlink target. It returns the number of entries compared.
func compareTrees(tb testing.TB, label string, want, got map[string]fileEntry, o compareOptions) int {
	tb.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	compared := 0
	for _, n := range names {
		if o.Ignore[n] {
			continue
		}
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot && o.WantOnly[n]:
			continue
		case !inGot:
			o.Known.errorf(tb, o.Scope, n, "%s: %q: want %c %o, missing", label, n, kind(w), w.Hdr.Mode&0o7777)
			continue
		case !inWant:
			o.Known.errorf(tb, o.Scope, n, "%s: %q: got %c %o, want nothing", label, n, kind(g), g.Hdr.Mode&0o7777)
			continue
		}
		compared++
		if kind(w) != kind(g) {
			o.Known.errorf(tb, o.Scope, n, "%s: %q: got type %c, want %c", label, n, kind(g), kind(w))
			continue
		}
		switch kind(w) {
		case 'l':
			if g.Hdr.Linkname != w.Hdr.Linkname {
				o.Known.errorf(tb, o.Scope, n, "%s: %q: symlink to %q, want %q", label, n, g.Hdr.Linkname, w.Hdr.Linkname)
			}
			continue // symlink modes are not meaningful
		case 'f':
			if !o.NoContent[n] && !bytes.Equal(content(got, g), content(want, w)) {
				o.Known.errorf(tb, o.Scope, n, "%s: %q: content %q, want %q", label, n, trunc(content(got, g)), trunc(content(want, w)))
			}
		}
		if g.Hdr.Mode&0o7777 != w.Hdr.Mode&0o7777 {
			o.Known.errorf(tb, o.Scope, n, "%s: %q: mode %o, want %o", label, n, g.Hdr.Mode&0o7777, w.Hdr.Mode&0o7777)
		}
	}
	return compared
}

func trunc(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// ---- fixtures ----

// fixture makes a git repository in a temp dir from testdata/NAME.txtar, or, for "example", from
// the repository's testdata/example. In a txtar, a file named SYMLINKS holds "path -> target"
// lines and a file named MODES holds "0755 path" lines; both are applied, not written.
func fixture(tb testing.TB, name string) string {
	tb.Helper()
	dir := tb.TempDir()
	if name == "example" {
		copyTree(tb, filepath.Join("..", "testdata", "example"), dir)
	} else {
		writeTxtar(tb, filepath.Join("testdata", name+".txtar"), dir)
	}
	gitInit(tb, dir)
	return dir
}

func writeTxtar(tb testing.TB, file, dir string) {
	tb.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var symlinks, modes []string
	for _, f := range ar.Files {
		switch f.Name {
		case "SYMLINKS":
			symlinks = lines(f.Data)
			continue
		case "MODES":
			modes = lines(f.Data)
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if strings.HasSuffix(f.Name, "/") {
			mkdir(tb, p)
			continue
		}
		mkdir(tb, filepath.Dir(p))
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for _, l := range symlinks {
		link, target, ok := strings.Cut(l, " -> ")
		if !ok {
			tb.Fatalf("%s: SYMLINKS line %q: want \"path -> target\"", file, l)
		}
		p := filepath.Join(dir, filepath.FromSlash(link))
		mkdir(tb, filepath.Dir(p))
		if err := os.Symlink(target, p); err != nil {
			tb.Fatal(err)
		}
	}
	for _, l := range modes {
		m, p, ok := strings.Cut(l, " ")
		mode, err := strconv.ParseUint(m, 8, 32)
		if !ok || err != nil {
			tb.Fatalf("%s: MODES line %q: want \"0755 path\"", file, l)
		}
		if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(p)), fs.FileMode(mode)); err != nil {
			tb.Fatal(err)
		}
	}
}

func lines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func mkdir(tb testing.TB, p string) {
	tb.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		tb.Fatal(err)
	}
}

var gitEnv = gittest.Environ()

func git(tb testing.TB, dir string, args ...string) []byte {
	tb.Helper()
	return mustRun(tb, dir, gitEnv, nil, append([]string{"git"}, args...)...)
}

func gitInit(tb testing.TB, dir string) {
	tb.Helper()
	git(tb, dir, "init", "-q", "-b", "main")
	git(tb, dir, "add", "-A")
	git(tb, dir, "commit", "-q", "-m", "fixture")
}

// copyTree copies src to dst keeping modes and symlinks.
func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(to, 0o755); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("copying %s: %v", src, err)
	}
}

func writeFile(tb testing.TB, p, data string) {
	tb.Helper()
	mkdir(tb, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}
