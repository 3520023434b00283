package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// requireBuildkitd returns the address of the test buildkitd and its buildctl, which
// scripts/with-buildkitd exports; it skips (fails with CI=true) without them.
func requireBuildkitd(tb testing.TB) (addr, buildctl string) {
	tb.Helper()
	addr, buildctl = os.Getenv("MONOCTX_BUILDKIT_HOST"), os.Getenv("MONOCTX_BUILDCTL")
	if addr == "" || buildctl == "" {
		unavailable(tb, "no buildkitd (run under scripts/with-buildkitd, which sets MONOCTX_BUILDKIT_HOST and MONOCTX_BUILDCTL)")
	}
	return addr, buildctl
}

// buildkitFixture makes the "buildkit" fixture as a git repository, after fill has added
// generated files to it.
func buildkitFixture(t *testing.T, fill func(repo string)) string {
	t.Helper()
	repo := t.TempDir()
	writeTxtar(t, filepath.Join("testdata", "buildkit.txtar"), repo)
	if fill != nil {
		fill(repo)
	}
	gitInit(t, repo)
	return repo
}

// randomFile writes size incompressible bytes drawn from seed.
func randomFile(tb testing.TB, p string, size int, seed uint64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	mkdir(tb, filepath.Dir(p))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// bkBuild runs `monoctx build --builder buildkit` against the test buildkitd.
func bkBuild(t *testing.T, repo, addr string, args ...string) result {
	t.Helper()
	argv := append([]string{monoctxBin, "build", "--builder", "buildkit", "--addr", addr, "--progress", "plain"}, args...)
	r := runCmd(t, repo, nil, nil, argv...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(argv[1:], " "), r.code, tail(r.stderr))
	}
	return r
}

var summaryRE = regexp.MustCompile(`(?m)^monoctx: (\S+): context transferred ([0-9.]+) ([kMG]?B) \(input set ([0-9.]+) ([kMG]?B), ([0-9,]+) files\)$`)

// summaryOf reads app's summary line: the bytes transferred, the input set's size and files.
func summaryOf(t *testing.T, stderr []byte, app string) (sent, input float64, files int) {
	t.Helper()
	for _, m := range summaryRE.FindAllStringSubmatch(string(stderr), -1) {
		if m[1] != app {
			continue
		}
		files, err := strconv.Atoi(strings.ReplaceAll(m[6], ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		return size(t, m[2], m[3]), size(t, m[4], m[5]), files
	}
	t.Fatalf("no summary line for %s in:\n%s", app, tail(stderr))
	return 0, 0, 0
}

// size reads a printed size ("2.1 MB"); it is exact to the 2-3 digits printed.
func size(t *testing.T, v, unit string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f * map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
}

// readDir reads a local output directory the way readTar reads a tar.
func readDir(tb testing.TB, dir string) map[string]fileEntry {
	tb.Helper()
	out := map[string]fileEntry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h := tar.Header{Name: filepath.ToSlash(rel), Mode: int64(fi.Mode().Perm()), Typeflag: tar.TypeReg}
		var data []byte
		switch {
		case fi.IsDir():
			h.Typeflag = tar.TypeDir
		case fi.Mode()&fs.ModeSymlink != 0:
			h.Typeflag = tar.TypeSymlink
			if h.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		out[h.Name] = fileEntry{Hdr: h, Content: data}
		return nil
	})
	if err != nil {
		tb.Fatalf("reading output %s: %v", dir, err)
	}
	return out
}

// plainBuild builds a's Dockerfile with buildctl from its whole context directory, as a plain
// `docker buildx build` would, into a local output directory.
func plainBuild(t *testing.T, addr, buildctl, repo string, a app) map[string]fileEntry {
	t.Helper()
	dest := t.TempDir()
	argv := []string{buildctl, "--addr", addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context=" + filepath.Join(repo, filepath.FromSlash(a.Context)),
		"--local", "dockerfile=" + filepath.Join(repo, filepath.FromSlash(filepath.Dir(a.Dockerfile))),
		"--opt", "filename=" + filepath.Base(a.Dockerfile),
		"--output", "type=local,dest=" + dest}
	if a.Target != "" {
		argv = append(argv, "--opt", "target="+a.Target)
	}
	for k, v := range a.Args {
		argv = append(argv, "--opt", "build-arg:"+k+"="+v)
	}
	mustRun(t, repo, nil, nil, argv...)
	return readDir(t, dest)
}

// contextFiles are the non-directory paths `monoctx context APP --list` gives.
func contextFiles(t *testing.T, repo, name string) []string {
	t.Helper()
	var entries []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(monoctx(t, repo, "context", name, "--list", "--format", "json"), &entries); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Type != "dir" {
			out = append(out, e.Path)
		}
	}
	return out
}

// TestBuildKitOutputMatchesPlainBuild checks that an app built over the BuildKit session with its
// input set as the context exports the same files (path, type, permission bits, content, symlink
// target) as a plain build of its whole context directory on the same buildkitd.
func TestBuildKitOutputMatchesPlainBuild(t *testing.T) {
	addr, buildctl := requireBuildkitd(t)
	repo := buildkitFixture(t, func(repo string) {
		randomFile(t, filepath.Join(repo, "big", "filler.bin"), 1<<20, 1)
	})
	for _, a := range listApps(t, repo) {
		if a.Name == "gosvc" {
			continue // narrowed to its Go closure: a plain build sends and copies more
		}
		t.Run(a.Name, func(t *testing.T) {
			want := plainBuild(t, addr, buildctl, repo, a)
			dest := t.TempDir()
			bkBuild(t, repo, addr, a.Name, "-o", "type=local,dest="+dest)
			got := readDir(t, dest)
			if n := compareTrees(t, a.Name, want, got, compareOptions{}); n == 0 {
				t.Fatalf("%s: the outputs have no entry in common", a.Name)
			}
		})
	}
}

// TestBuildKitSecondBuildSendsOnlyWhatChanged builds the same app three times: the second build
// of the unchanged app transfers under 1 % of the first, and after one file is rewritten the
// third transfers about that file. The summary line counts the input set `monoctx context` lists.
func TestBuildKitSecondBuildSendsOnlyWhatChanged(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	const blob = 128 << 10
	repo := buildkitFixture(t, func(repo string) {
		for i := range 16 {
			randomFile(t, filepath.Join(repo, "apps", "app", "src", "blob-"+strconv.Itoa(i)+".bin"), blob, uint64(i))
		}
	})
	r1 := bkBuild(t, repo, addr, "app")
	first, input, files := summaryOf(t, r1.stderr, "app")
	if want := len(contextFiles(t, repo, "app")); files != want {
		t.Errorf("summary counts %d files, want the %d monoctx context lists", files, want)
	}
	if first < 0.95*16*blob || input < 0.95*16*blob { // sizes are printed to 2-3 digits
		t.Fatalf("first build transferred %.0f B of an input set of %.0f B, want both at least the %d B of blobs", first, input, 16*blob)
	}
	r2 := bkBuild(t, repo, addr, "app")
	second, _, _ := summaryOf(t, r2.stderr, "app")
	if second >= first/100 {
		t.Errorf("unchanged rebuild transferred %.0f B, want under 1%% of the first build's %.0f B", second, first)
	}
	randomFile(t, filepath.Join(repo, "apps", "app", "src", "blob-3.bin"), blob, 99)
	r3 := bkBuild(t, repo, addr, "app")
	third, _, _ := summaryOf(t, r3.stderr, "app")
	t.Logf("transferred: first %.0f B, unchanged %.0f B, one %d B file rewritten %.0f B", first, second, blob, third)
	if third < 0.95*blob || third > blob+16<<10 {
		t.Errorf("after rewriting one %d B file the build transferred %.0f B, want about that file", blob, third)
	}
}

// TestBuildKitNeverSendsAnUncopiedDirectory fills a directory with 8 MB that no Dockerfile copies
// but for one file a COPY glob names: only that file travels.
func TestBuildKitNeverSendsAnUncopiedDirectory(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	repo := buildkitFixture(t, func(repo string) {
		for i := range 8 {
			randomFile(t, filepath.Join(repo, "big", "filler-"+strconv.Itoa(i)+".bin"), 1<<20, uint64(i))
		}
	})
	dest := t.TempDir()
	r := bkBuild(t, repo, addr, "picky", "-o", "type=local,dest="+dest)
	sent, _, _ := summaryOf(t, r.stderr, "picky")
	if sent > 64<<10 {
		t.Errorf("transferred %.0f B, want far less than the 8 MB directory nobody copies", sent)
	}
	var got []string
	for p, e := range readDir(t, dest) {
		if kind(e) != 'd' {
			got = append(got, p)
		}
	}
	sort.Strings(got)
	if want := []string{"keep/keep-1.txt", "p.txt"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("output files %q, want %q", got, want)
	}
}

// TestBuildKitWholeContextGoAppSendsOnlyItsClosure builds an app whose Dockerfile copies the whole
// module: BuildKit receives the Go import closure only, never the unused package's 4 MB, and the
// image holds exactly what `monoctx context` lists.
func TestBuildKitWholeContextGoAppSendsOnlyItsClosure(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	repo := buildkitFixture(t, func(repo string) {
		randomFile(t, filepath.Join(repo, "go", "lib", "unused", "testdata.bin"), 4<<20, 5)
	})
	dest := t.TempDir()
	r := bkBuild(t, repo, addr, "gosvc", "-o", "type=local,dest="+dest)
	sent, _, _ := summaryOf(t, r.stderr, "gosvc")
	if sent > 256<<10 {
		t.Errorf("transferred %.0f B, want only the closure, not the unused package's 4 MB", sent)
	}
	var got []string
	for p, e := range subtree(readDir(t, dest), "src") {
		if kind(e) != 'd' {
			got = append(got, p)
		}
	}
	sort.Strings(got)
	want := contextFiles(t, repo, "gosvc")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("image /src holds %q, want what monoctx context lists: %q", got, want)
	}
	for _, p := range got {
		if strings.HasPrefix(p, "lib/unused/") {
			t.Errorf("image holds %s, outside the Go import closure", p)
		}
	}
}

// TestBuildKitPlatformsWithOCIOutput builds for two platforms into an OCI layout tar: its index
// names one manifest per platform.
func TestBuildKitPlatformsWithOCIOutput(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	repo := buildkitFixture(t, nil)
	out := filepath.Join(t.TempDir(), "whole.oci.tar")
	bkBuild(t, repo, addr, "whole", "--platform", "linux/amd64", "--platform", "linux/arm64", "-o", "type=oci,dest="+out)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := readTar(t, f)
	type index struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Platform  *struct {
				OS           string `json:"os"`
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	var top index
	if err := json.Unmarshal(files["index.json"].Content, &top); err != nil || len(top.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests, want one image index:\n%s", err, len(top.Manifests), files["index.json"].Content)
	}
	blob := func(digest string) []byte {
		algo, hex, _ := strings.Cut(digest, ":")
		e, ok := files["blobs/"+algo+"/"+hex]
		if !ok {
			t.Fatalf("blob %s missing from the layout", digest)
		}
		return e.Content
	}
	var idx index
	if err := json.Unmarshal(blob(top.Manifests[0].Digest), &idx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			got = append(got, m.Platform.OS+"/"+m.Platform.Architecture)
		}
	}
	sort.Strings(got)
	if want := "linux/amd64 linux/arm64"; strings.Join(got, " ") != want {
		t.Errorf("platforms in the OCI index: %q, want %s", got, want)
	}
}

// TestBuildKitLocalCacheExportAndImport exports the build cache to a directory, empties
// buildkitd's cache, and builds again with the directory as the cache source: the COPY steps
// come from the imported cache, which they do not without it.
func TestBuildKitLocalCacheExportAndImport(t *testing.T) {
	addr, buildctl := requireBuildkitd(t)
	repo := buildkitFixture(t, nil)
	cache := filepath.Join(t.TempDir(), "cache")
	bkBuild(t, repo, addr, "app", "--cache-to", "type=local,dest="+cache+",mode=max")
	if _, err := os.Stat(filepath.Join(cache, "index.json")); err != nil {
		t.Fatalf("cache export wrote no OCI layout: %v", err)
	}
	prune := func() { mustRun(t, repo, nil, nil, buildctl, "--addr", addr, "prune", "--all") }
	cachedCopies := func(stderr []byte) int {
		n := 0
		for _, l := range strings.Split(string(stderr), "\n") {
			if strings.HasSuffix(l, " CACHED") {
				n++
			}
		}
		return n
	}
	prune()
	without := bkBuild(t, repo, addr, "app")
	if n := cachedCopies(without.stderr); n != 0 {
		t.Fatalf("after a prune, without a cache source, %d steps were cached; the test proves nothing:\n%s", n, tail(without.stderr))
	}
	prune()
	with := bkBuild(t, repo, addr, "app", "--cache-from", "type=local,src="+cache)
	if n := cachedCopies(with.stderr); n < 4 {
		t.Errorf("with the exported cache, %d steps were cached, want the 4 COPY steps:\n%s", n, tail(with.stderr))
	}
}

// TestBuildKitSummaryLineForEveryApp builds two apps at once (--jobs 2): each gets its own
// summary line and its output prefixed with its name.
func TestBuildKitSummaryLineForEveryApp(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	repo := buildkitFixture(t, nil)
	r := bkBuild(t, repo, addr, "--jobs", "2", "app", "whole")
	for _, name := range []string{"app", "whole"} {
		sent, input, files := summaryOf(t, r.stderr, name)
		if sent <= 0 || input <= 0 || files != len(contextFiles(t, repo, name)) {
			t.Errorf("%s: transferred %.0f B, input set %.0f B in %d files; want positive sizes and the files monoctx context lists", name, sent, input, files)
		}
		if !bytes.Contains(r.stderr, []byte("\n"+name+" | ")) {
			t.Errorf("no progress line prefixed %q:\n%s", name+" | ", tail(r.stderr))
		}
	}
}

// TestDockerBuilderUsesTheEnginesBuildKitSession checks that --builder docker with BuildKit goes
// through the engine's /grpc and /session endpoints, not a tar: the summary line reports
// BuildKit's transfer, the image is loaded into the engine with the app's files, and an
// unchanged rebuild transfers under 1 % of the first build.
func TestDockerBuilderUsesTheEnginesBuildKitSession(t *testing.T) {
	c := dockerCLIs(t)[1]
	repo := buildkitFixture(t, func(repo string) {
		for i := range 8 {
			randomFile(t, filepath.Join(repo, "apps", "app", "src", "blob-"+strconv.Itoa(i)+".bin"), 128<<10, uint64(i))
		}
	})
	tag := newTag(t, "monoctx-e2e-session", c.bin)
	build := func() result {
		r := runCmd(t, repo, []string{"DOCKER_BUILDKIT=1"}, nil, monoctxBin, "build", "app", "-t", tag, "--progress", "plain")
		if r.code != 0 {
			t.Fatalf("monoctx build app: exit %d\n%s", r.code, tail(r.stderr))
		}
		return r
	}
	first, _, _ := summaryOf(t, build().stderr, "app")
	got := exportImage(t, c.bin, tag)
	if e, ok := got["out/lib/b.txt"]; !ok || string(e.Content) != "blue\n" {
		t.Errorf("out/lib/b.txt = %q (present %v), want the FLAVOR=blue lib", e.Content, ok)
	}
	second, _, _ := summaryOf(t, build().stderr, "app")
	if first < 0.95*(8*128<<10) || second >= first/100 {
		t.Errorf("transferred %.0f B then %.0f B unchanged; want at least the 1 MB of blobs, then under 1%%", first, second)
	}
}

// TestBakeDefinitionBuildsWithBuildxSendingOnlyTheInputSet writes a bake definition with monoctx
// bake (and its generated ignore files) and builds it with buildx bake on a remote driver pointed
// at the test buildkitd: the whole-module Go app's image holds only its import closure, never the
// unused package's 4 MB, which buildx does not transfer.
func TestBakeDefinitionBuildsWithBuildxSendingOnlyTheInputSet(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	buildx := os.Getenv("MONOCTX_BUILDX")
	if buildx == "" {
		unavailable(t, "MONOCTX_BUILDX is not set (scripts/with-buildkitd builds buildx)")
	}
	repo := buildkitFixture(t, func(repo string) {
		randomFile(t, filepath.Join(repo, "go", "lib", "unused", "testdata.bin"), 4<<20, 5)
	})
	r := runCmd(t, repo, nil, nil, monoctxBin, "bake", "--ignore", "write", "-o", "bake.json")
	if r.code != 0 {
		t.Fatalf("monoctx bake: exit %d\n%s", r.code, tail(r.stderr))
	}
	env := []string{"BUILDX_CONFIG=" + t.TempDir()}
	mustRun(t, repo, env, nil, buildx, "create", "--name", "monoctx-e2e", "--driver", "remote", addr)
	dest := t.TempDir()
	out := runCmd(t, repo, env, nil, buildx, "--builder", "monoctx-e2e", "bake", "-f", "bake.json",
		"--progress", "plain", "--set", "gosvc.output=type=local,dest="+dest, "gosvc")
	if out.code != 0 {
		t.Fatalf("buildx bake: exit %d\n%s", out.code, tail(out.stderr))
	}
	if sent := sentBytes(string(out.stderr)); sent < 0 || sent > 256<<10 {
		t.Errorf("buildx transferred %.0f B of context, want only the closure, not the unused 4 MB", sent)
	}
	var got []string
	for p, e := range subtree(readDir(t, dest), "src") {
		if kind(e) != 'd' {
			got = append(got, p)
		}
	}
	sort.Strings(got)
	// monoctx context always lists the applicable ignore file; the generated one excludes
	// itself, and BuildKit applies it.
	want := slices.DeleteFunc(contextFiles(t, repo, "gosvc"), func(p string) bool { return p == "cmd/svc/Dockerfile.dockerignore" })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("image /src holds %q, want what monoctx context lists but its ignore file: %q", got, want)
	}
}

// TestBuildKitAppsKeepTheirOwnContextCopies builds an app, then another app of the same
// repository with another input set, then the first again: the rebuild of the unchanged first
// app transfers under 1 % of its first build. The daemon keeps a copy of each app's context to
// sync against; were the two apps' copies one, the rebuild would resend what differs.
func TestBuildKitAppsKeepTheirOwnContextCopies(t *testing.T) {
	addr, _ := requireBuildkitd(t)
	const blob = 128 << 10
	repo := buildkitFixture(t, func(repo string) {
		for i := range 8 {
			randomFile(t, filepath.Join(repo, "apps", "app", "src", "blob-"+strconv.Itoa(i)+".bin"), blob, uint64(i))
			randomFile(t, filepath.Join(repo, "apps", "picky", "blob-"+strconv.Itoa(i)+".bin"), blob, uint64(100+i))
		}
	})
	first, _, _ := summaryOf(t, bkBuild(t, repo, addr, "app").stderr, "app")
	bkBuild(t, repo, addr, "picky")
	again, _, _ := summaryOf(t, bkBuild(t, repo, addr, "app").stderr, "app")
	if first < 0.95*8*blob || again >= first/100 {
		t.Errorf("app transferred %.0f B, then %.0f B unchanged after another app's build; want at least its %d B of blobs, then under 1%%", first, again, 8*blob)
	}
}
