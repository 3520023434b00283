package ignore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func generated(t *testing.T, keep ...string) []byte {
	t.Helper()
	out, err := Generate(Spec{Keep: keep, Regenerate: "monoctx ignore --write web"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	gen := generated(t, "apps/web")
	tests := []struct {
		name     string
		existing *string // nil: no file
		force    bool
		wantErr  bool
		want     string // content afterwards
	}{
		{name: "creates a missing file", want: string(gen)},
		{name: "replaces a generated file", existing: ptr(string(generated(t, "libs"))), want: string(gen)},
		{name: "refuses a user file", existing: ptr("node_modules\n"), wantErr: true, want: "node_modules\n"},
		{name: "refuses a user file that mentions the marker later", existing: ptr("x\n" + Marker + "\n"), wantErr: true, want: "x\n" + Marker + "\n"},
		{name: "force takes over a user file", existing: ptr("node_modules\n"), force: true, want: string(gen)},
		{name: "unchanged file is left alone", existing: ptr(string(gen)), want: string(gen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "Dockerfile.dockerignore")
			if tt.existing != nil {
				if err := os.WriteFile(p, []byte(*tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(p, gen, tt.force)
			var ue *UserFileError
			if tt.wantErr {
				if !errors.As(err, &ue) || ue.Path != p {
					t.Fatalf("got %v, want a *UserFileError for %s", err, p)
				}
				for _, s := range []string{"written by hand", "does not overwrite", "--force", "carried over"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("message %q lacks %q", err, s)
					}
				}
			} else if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := readFile(t, p); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if names := entries(t, dir); len(names) != 1 {
				t.Errorf("directory holds %q, want only the ignore file", names)
			}
			if !tt.wantErr && tt.existing == nil || tt.force {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, want 0644", fi.Mode().Perm())
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestWriteLeavesNothingBehindOnFailure(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a read-only directory, which root and Windows ignore")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "Dockerfile.dockerignore")
	old := generated(t, "libs")
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Error(err)
		}
	})
	err := Write(p, generated(t, "apps/web"), false)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("got %v, want a permission error", err)
	}
	if got := readFile(t, p); got != string(old) {
		t.Errorf("file changed to %q", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only the ignore file", names)
	}
}

func TestWriteLeavesNothingBehindWhenRenameFails(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at the path: reading it fails before any write.
	p := filepath.Join(dir, "Dockerfile.dockerignore")
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, generated(t, "a"), true); err == nil {
		t.Fatal("Write over a directory succeeded")
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only the original entry", names)
	}
	// The temporary file is created, then rename fails: it must be removed.
	if err := writeAtomic("", p, []byte("x\n")); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q after a failed rename, want only the original entry", names)
	}
}

func TestCheck(t *testing.T) {
	gen := generated(t, "apps/web")
	tests := []struct {
		name     string
		existing *string
		ok       bool
		reason   string
	}{
		{"missing", nil, false, ReasonMissing},
		{"current", ptr(string(gen)), true, ""},
		{"differs", ptr(string(generated(t, "libs"))), false, ReasonDiffers},
		{"user-owned", ptr("node_modules\n"), false, ReasonUserOwned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "Dockerfile.dockerignore")
			if tt.existing != nil {
				if err := os.WriteFile(p, []byte(*tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ok, reason, err := Check(p, gen)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || reason != tt.reason {
				t.Errorf("got (%v, %q), want (%v, %q)", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

func TestIsGenerated(t *testing.T) {
	for data, want := range map[string]bool{
		Marker + "\n*\n":          true,
		Marker + "\r\n*\r\n":      true,
		Marker:                    true,
		"\xEF\xBB\xBF" + Marker:   true,
		"*\n" + Marker + "\n":     false,
		"":                        false,
		" " + Marker + "\n":       false,
		Marker + " (edited)\n*\n": false,
	} {
		if got := IsGenerated([]byte(data)); got != want {
			t.Errorf("IsGenerated(%q) = %v, want %v", data, got, want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, ".dockerignore"), ".dockerignore")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping fs.ErrNotExist", err)
	}
	p := filepath.Join(dir, "web.Dockerfile.dockerignore")
	if err := os.WriteFile(p, []byte("a\n!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(p, "apps/web.Dockerfile.dockerignore")
	if err == nil || err.Error() != `apps/web.Dockerfile.dockerignore:2: illegal exclusion pattern: "!"` {
		t.Errorf("got %v", err)
	}
}

func TestApplicable(t *testing.T) {
	tests := []struct {
		name          string
		files         []string
		dockerfile    string
		want          string
		perDockerfile bool
	}{
		{"context file", []string{"apps/web/Dockerfile", ".dockerignore"}, "apps/web/Dockerfile", ".dockerignore", false},
		{"per-Dockerfile file replaces the context's", []string{"apps/web/Dockerfile", "apps/web/Dockerfile.dockerignore", ".dockerignore"}, "apps/web/Dockerfile", "apps/web/Dockerfile.dockerignore", true},
		{"named Dockerfile", []string{"apps/web/build.Dockerfile", "apps/web/build.Dockerfile.dockerignore"}, "apps/web/build.Dockerfile", "apps/web/build.Dockerfile.dockerignore", true},
		{"neither exists", []string{"apps/web/Dockerfile"}, "apps/web/Dockerfile", ".dockerignore", false},
		{"lowercase dockerfile uses its own ignore file only", []string{"d/dockerfile", "d/Dockerfile.dockerignore", "d/dockerfile.dockerignore"}, "d/Dockerfile", "d/dockerfile.dockerignore", true},
		{"lowercase dockerfile ignores the capitalised one", []string{"d/dockerfile", "d/Dockerfile.dockerignore", ".dockerignore"}, "d/Dockerfile", ".dockerignore", false},
		{"Dockerfile present wins over lowercase", []string{"d/Dockerfile", "d/dockerfile", "d/Dockerfile.dockerignore", "d/dockerfile.dockerignore"}, "d/Dockerfile", "d/Dockerfile.dockerignore", true},
		{"Dockerfile outside the context", []string{"docker/web.Dockerfile", "docker/web.Dockerfile.dockerignore", "ctx/.dockerignore"}, "docker/web.Dockerfile", "docker/web.Dockerfile.dockerignore", true},
		{"a directory is not an ignore file", []string{"d/Dockerfile", "d/Dockerfile.dockerignore/x"}, "d/Dockerfile", ".dockerignore", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, filepath.FromSlash(f))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, per := Applicable(filepath.Join(root, filepath.FromSlash(tt.dockerfile)), root)
			want := filepath.Join(root, filepath.FromSlash(tt.want))
			if got != want || per != tt.perDockerfile {
				t.Errorf("got (%q, %v), want (%q, %v)", got, per, want, tt.perDockerfile)
			}
		})
	}
}

// entryFS is the OS with Entry answering from names: a view that has listed its directories.
type entryFS struct {
	osFS
	names map[string][]string // directory → its entries; a directory not here is unknown
}

func (e entryFS) Entry(dir, name string) (has, known bool) {
	names, ok := e.names[dir]
	if !ok {
		return false, false
	}
	for _, n := range names {
		has = has || n == name
	}
	return has, true
}

// A file system that knows a directory's names answers the "dockerfile" question by them, without
// the Lstat; one that does not know falls back to the OS.
func TestApplicableAsksEntryWhenKnown(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "d")
	for _, f := range []string{"Dockerfile", "dockerfile.dockerignore"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	df := filepath.Join(d, "Dockerfile")
	// The names say the directory holds a lowercase dockerfile only: Entry, not the disk, decides.
	got, per := ApplicableIn(entryFS{names: map[string][]string{d: {"dockerfile", "dockerfile.dockerignore"}}}, df, root)
	if want := filepath.Join(d, "dockerfile.dockerignore"); got != want || !per {
		t.Errorf("known names: got (%q, %v), want (%q, true)", got, per, want)
	}
	// Names of another directory: unknown here, the OS answers (it holds Dockerfile).
	got, per = ApplicableIn(entryFS{names: map[string][]string{root: {"d"}}}, df, root)
	if want := filepath.Join(root, ".dockerignore"); got != want || per {
		t.Errorf("unknown names: got (%q, %v), want (%q, false)", got, per, want)
	}
}
