package buildctx_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	buildctx "github.com/monoctx/monoctx/context"
)

// tarEntry is one entry read back from a context tar.
type tarEntry struct {
	Hdr     tar.Header
	Content []byte
}

// readTar reads a (possibly gzipped) tar completely.
func readTar(t testing.TB, b []byte) []tarEntry {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("opening gzip stream: %v", err)
		}
		r = zr
	}
	tr := tar.NewReader(r)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar after %d entries: %v", len(out), err)
		}
		c, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %q from tar: %v", h.Name, err)
		}
		out = append(out, tarEntry{Hdr: *h, Content: c})
	}
}

// walkOrderKey sorts like the writer: by path components, bytewise.
func walkOrderKey(p string) string { return strings.ReplaceAll(p, "/", "\x00") }

// checkContext writes src twice and checks the invariants every context must hold:
//   - byte-identical output on a second run;
//   - no absolute names, no "..", clean names;
//   - entries in walk order, each directory entry before its children, a directory entry for
//     every parent;
//   - uid/gid 0, empty user and group names;
//   - nothing that Exclude excludes, except the Dockerfile and ignore files that are always
//     stored and excluded directories that hold stored entries;
//   - every root that exists (and is not excluded) is present;
//   - List reports exactly the entries of the tar.
//
// It returns the entries and the stats of the first run.
func checkContext(t *testing.T, src buildctx.Source, opts ...buildctx.Option) ([]tarEntry, buildctx.Stats) {
	t.Helper()
	ctx := context.Background()
	var first, second bytes.Buffer
	stats, err := buildctx.Write(ctx, &first, src, opts...)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := buildctx.Write(ctx, &second, src, opts...); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Errorf("two writes of the same source differ (%d and %d bytes)", first.Len(), second.Len())
	}
	if stats.Written != int64(first.Len()) {
		t.Errorf("Stats.Written = %d, want %d", stats.Written, first.Len())
	}
	entries := readTar(t, first.Bytes())

	always := map[string]bool{stats.DockerfileInTar: true, ".dockerignore": strings.HasPrefix(stats.DockerfileInTar, ".dockerfile.")}
	if src.IgnoreFile != "" {
		if rel, err := filepath.Rel(src.Dir, src.IgnoreFile); err == nil && !strings.HasPrefix(rel, "..") {
			always[filepath.ToSlash(rel)] = true
		}
	}

	names := map[string]tarEntry{}
	var files, dirs int
	var bytesN int64
	prev := ""
	for i, e := range entries {
		h := e.Hdr
		isDir := h.Typeflag == tar.TypeDir
		name := strings.TrimSuffix(h.Name, "/")
		if isDir != strings.HasSuffix(h.Name, "/") {
			t.Errorf("%q: directory entries, and only they, end in /", h.Name)
		}
		if name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			t.Errorf("%q: name is not a clean relative path inside the context", h.Name)
		}
		if i > 0 && walkOrderKey(prev) >= walkOrderKey(name) {
			t.Errorf("%q after %q: entries are not in walk order", name, prev)
		}
		prev = name
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%q: owner %d:%d %q:%q, want 0:0 and empty names", name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%q: atime or ctime stored", name)
		}
		if h.ModTime.Nanosecond() != 0 {
			t.Errorf("%q: mtime %v has sub-second precision", name, h.ModTime)
		}
		if dir := path.Dir(name); dir != "." {
			if p, ok := names[dir]; !ok || p.Hdr.Typeflag != tar.TypeDir {
				t.Errorf("%q: no directory entry for its parent %q before it", name, dir)
			}
		}
		if src.Exclude != nil && !always[name] && src.Exclude(name, isDir) && !isDir {
			t.Errorf("%q: stored although Exclude excludes it", name)
		}
		names[name] = e
		if isDir {
			dirs++
		} else {
			files++
		}
		if h.Typeflag == tar.TypeReg {
			bytesN += h.Size
		}
	}
	// An excluded directory may only be there as the parent of something stored.
	if src.Exclude != nil {
		for name, e := range names {
			if e.Hdr.Typeflag != tar.TypeDir || !src.Exclude(name, true) || always[name] {
				continue
			}
			hasChild := false
			for other := range names {
				if strings.HasPrefix(other, name+"/") {
					hasChild = true
					break
				}
			}
			if !hasChild {
				t.Errorf("%q: excluded directory stored without anything below it", name)
			}
		}
	}
	if stats.Files != files || stats.Dirs != dirs || stats.Bytes != bytesN {
		t.Errorf("Stats = %d files, %d dirs, %d bytes; the tar has %d, %d, %d", stats.Files, stats.Dirs, stats.Bytes, files, dirs, bytesN)
	}
	if _, ok := names[stats.DockerfileInTar]; !ok {
		t.Errorf("Dockerfile %q is not in the tar", stats.DockerfileInTar)
	}
	for _, r := range src.Roots {
		r = path.Clean(r)
		if r == "." {
			continue
		}
		if _, err := os.Lstat(filepath.Join(src.Dir, filepath.FromSlash(r))); err != nil {
			continue
		}
		if src.Exclude != nil && excludedOrParent(src, r) {
			continue
		}
		if _, ok := names[r]; !ok && !reachedThroughLink(names, r) {
			t.Errorf("root %q exists but is not in the tar", r)
		}
	}

	list, err := buildctx.List(ctx, src)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != len(entries) {
		t.Errorf("List returned %d entries, the tar has %d", len(list), len(entries))
	}
	for i := 0; i < len(list) && i < len(entries); i++ {
		if got, want := list[i].Path, strings.TrimSuffix(entries[i].Hdr.Name, "/"); got != want {
			t.Errorf("List[%d] = %q, tar entry %q", i, got, want)
		}
	}
	return entries, stats
}

func excludedOrParent(src buildctx.Source, rel string) bool {
	for p := rel; p != "."; p = path.Dir(p) {
		fi, err := os.Lstat(filepath.Join(src.Dir, filepath.FromSlash(p)))
		isDir := err == nil && fi.IsDir()
		if src.Exclude(p, isDir) {
			if p == rel || src.CanDescend == nil || !src.CanDescend(p) {
				return true
			}
		}
	}
	return false
}

func reachedThroughLink(names map[string]tarEntry, rel string) bool {
	for p := path.Dir(rel); p != "."; p = path.Dir(p) {
		if e, ok := names[p]; ok && e.Hdr.Typeflag == tar.TypeSymlink {
			return true
		}
	}
	return false
}

// tree creates files under dir: a value ending in "/" is a directory, "->target" a symlink,
// anything else a file with that content.
func tree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case v == "/":
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(v, "->"):
			if err := os.Symlink(strings.TrimPrefix(v, "->"), p); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// byName indexes entries by their path without the trailing slash.
func byName(entries []tarEntry) map[string]tarEntry {
	m := make(map[string]tarEntry, len(entries))
	for _, e := range entries {
		m[strings.TrimSuffix(e.Hdr.Name, "/")] = e
	}
	return m
}

func entryNames(entries []tarEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Hdr.Name
	}
	return out
}
