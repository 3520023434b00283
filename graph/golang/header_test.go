package golang

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// readCounter is the OS file system, counting the bytes read.
type readCounter struct {
	osFS
	read int
}

func (r *readCounter) ReadFileHead(name string, buf []byte) (int, error) {
	n, err := r.osFS.ReadFileHead(name, buf)
	r.read += n
	return n, err
}

func (r *readCounter) ReadFile(name string) ([]byte, error) {
	b, err := r.osFS.ReadFile(name)
	r.read += len(b)
	return b, err
}

// wholeFS is the OS file system without Open: parseGoFile reads every file whole.
type wholeFS struct{ fs FS }

func (w wholeFS) ReadFile(name string) ([]byte, error)       { return w.fs.ReadFile(name) }
func (w wholeFS) Stat(name string) (fs.FileInfo, error)      { return w.fs.Stat(name) }
func (w wholeFS) Lstat(name string) (fs.FileInfo, error)     { return w.fs.Lstat(name) }
func (w wholeFS) ReadDir(name string) ([]fs.DirEntry, error) { return w.fs.ReadDir(name) }
func (w wholeFS) WalkDir(root string, fn fs.WalkDirFunc) error {
	return w.fs.WalkDir(root, fn)
}
func (w wholeFS) Glob(dir, pattern string) ([]string, error) { return w.fs.Glob(dir, pattern) }

// TestHeaderReadsParseAsTheWholeFile: reading a Go file only up to its imports gives the imports,
// embeds and errors of parsing it whole, on the files of Go's own tree and on files shaped to cut
// the first read anywhere in their import section.
func TestHeaderReadsParseAsTheWholeFile(t *testing.T) {
	dir := t.TempDir()
	long := func(n int) string {
		var b strings.Builder
		b.WriteString("package p\n\nimport (\n")
		for i := 0; b.Len() < n; i++ {
			b.WriteString("\t\"example.com/a/very/long/import/path/number/" + strings.Repeat("x", i%50) + "\"\n")
		}
		b.WriteString(")\n")
		return b.String()
	}
	body := "\nfunc f() {}\n" + strings.Repeat("var _ = 1 // filler\n", 2000)
	cases := map[string]string{
		"long_imports.go":   long(3*goHeaderRead) + body,
		"at_the_cut.go":     long(goHeaderRead-40) + body,
		"embed_far.go":      "package p\n\nimport _ \"embed\"\n" + body + "\n//go:embed data.txt\nvar s string\n",
		"embed_long.go":     long(goHeaderRead) + "import _ \"embed\"\n" + body + "\n//go:embed data.txt\nvar s string\n",
		"bad_import.go":     long(goHeaderRead) + "import \"unterminated\n" + body,
		"bad_after.go":      long(2*goHeaderRead) + "import \"a\" junk\n" + body,
		"bad_path.go":       long(goHeaderRead) + "import \"a\\q\"\n" + body,
		"single_imports.go": strings.Repeat("// license\n", 1000) + "package p\nimport \"a\"\nimport b \"b\"\nimport . \"c\"\n" + body,
		"cgo.go":            "package p\n\n/*\n#include <stdio.h>\n" + strings.Repeat("// c\n", 3000) + "*/\nimport \"C\"\n" + body,
		// 64-byte lines: the first read ends between two imports.
		"many_single.go":   "package p\n//" + strings.Repeat("-", 51) + "\n" + strings.Repeat("import \"example.com/single/import/of/a/long/section/"+strings.Repeat("y", 10)+"\"\n", 2*goHeaderRead/64) + "import \"last\"\n" + body,
		"comment_after.go": "package p\n\nimport \"a\"\n\n" + strings.Repeat("// a long doc comment\n", 3*goHeaderRead/20) + body,
		"no_decls.go":      long(2 * goHeaderRead),
		"exactly.go":       long(goHeaderRead)[:goHeaderRead],
	}
	var files []string
	for name, src := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	root := filepath.Join(runtime.GOROOT(), "src")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) < 1000 {
		t.Fatalf("Go's tree at %s: %d files, %v", root, len(files), err)
	}
	slices.Sort(files)
	// Files read only in part: their imports end early, and they do not import embed.
	for _, name := range []string{"long_imports.go", "single_imports.go", "many_single.go", "cgo.go", "comment_after.go"} {
		rc := &readCounter{}
		if _, _, err := parseGoFile(rc, filepath.Join(dir, name), name); err != nil {
			t.Fatal(err)
		}
		if rc.read >= len(cases[name]) {
			t.Errorf("%s: read %d bytes of %d", name, rc.read, len(cases[name]))
		}
	}
	rc := &readCounter{}
	total, large := 0, 0
	for _, p := range files {
		wi, we, werr := parseGoFile(wholeFS{osFS{}}, p, p)
		hi, he, herr := parseGoFile(rc, p, p)
		if !slices.Equal(wi, hi) || !slices.Equal(we, he) || errText(werr) != errText(herr) {
			t.Errorf("%s: whole: %q %q %v; from its header: %q %q %v", p, wi, we, werr, hi, he, herr)
		}
		if fi, err := os.Stat(p); err == nil {
			total += int(fi.Size())
			if fi.Size() > 4*goHeaderRead {
				large++
			}
		}
	}
	// Not a timing: what was read. Go's tree has large files (tables, tests) whose imports are
	// at their start; reading them whole would read everything.
	if large == 0 || rc.read >= total*3/4 {
		t.Errorf("read %d of %d bytes (%d large files): the large files were read whole", rc.read, total, large)
	}
	t.Logf("%d files: read %d of %d bytes", len(files), rc.read, total)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestScanImports: the imports are the parser's; what it cannot be sure of is left to the
// parser.
func TestScanImports(t *testing.T) {
	for _, c := range []struct {
		src   string
		whole bool
		want  []string // nil: left to the parser
	}{
		{"package p\nfunc f() {}", false, []string{}},
		{"package p\nimport \"a\"\ntype T int", false, []string{"a"}},
		{"package p\nimport (\n\t\"a\"\n\tb \"b/c\"\n\t. \"d\"; _ \"e\")\nvar v int", false, []string{"a", "b/c", "d", "e"}},
		{"package p\nimport ()\nimport \"x\"\nconst c = 1", false, []string{"x"}},
		{"package p\nimport \"a\"\n", true, []string{"a"}},
		{"package p\nimport (\n\t\"a\"\n", false, nil},          // cut inside the section
		{"package p\nimport \"a\"\n", false, nil},               // another import may follow
		{"package p\nimport \"a\"\nimport", false, nil},         // cut in an import
		{"package p\nimport \"a\nfunc f() {}", true, nil},       // a syntax error
		{"package p\nimport (\"a\" \"b\")\nvar v", true, nil},   // a missing semicolon
		{"package p\nimport (\"a\" + \"b\")\nvar v", true, nil}, // not the parser's shape
		{"package p\nimport \"a\\x41\"\nvar v", true, nil},      // an escape: the parser unquotes it
		{"package p\nimport `a`\nvar v", true, nil},             // a raw string
		{"package p\nimport \"a b\"\nvar v", true, nil},         // not a valid path
		{"package _\nvar v", true, nil},
		{"package p // \x00\nimport \"a\"\nvar v", true, nil},    // go/scanner reports a NUL in a comment
		{"package p /* \xff */\nimport \"a\"\nvar v", true, nil}, // and invalid UTF-8
		{"\uFEFFpackage p\nvar v", true, []string{}},             // a byte order mark, which go/scanner skips
		{"package p; import \"a\" /* two\nlines */ import \"b\"\nvar v", true, []string{"a", "b"}},
		{"package p\nimport \"a\" // c\nfunc f()", false, []string{"a"}},
		{"package p\nimport /* c */ b \"a\"; import (\n)\nfunc f()", false, []string{"a"}},
		{"package p\nimport \"a\" /* c */ \"b\"\nfunc f()", true, nil},
		{"package p\nx := 1", true, nil},
	} {
		got, ok := scanImports([]byte(c.src), c.whole)
		if !ok {
			got = nil
		} else if got == nil {
			got = []string{}
		}
		if !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("scanImports(%q, %v) = %q, %v; want %q", c.src, c.whole, got, ok, c.want)
		}
		if ok {
			if imps, _, err := parseGoSource("f.go", []byte(c.src)); err != nil || !slices.Equal(imps, got) && len(imps)+len(got) > 0 {
				t.Errorf("scanImports(%q) = %q; the parser: %q, %v", c.src, got, imps, err)
			}
		}
	}
}

// FuzzScanImports: where scanImports answers, the parser gives the same imports without error.
func FuzzScanImports(f *testing.F) {
	for _, s := range []string{
		"package p\nimport \"a\"\nfunc f() {}",
		"package p\nimport (\n\t\"a\"\n\tb \"b/c\"\n)\nvar v int",
		"// c\npackage p // x\n/* y */ import . \"d\"; import _ \"e\"\ntype T int",
		"package p // \x00\nimport \"a\"\nvar v",
		"package p /* \xff */ import \"a\"\nvar v",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, whole bool) {
		got, ok := scanImports([]byte(src), whole)
		if !ok || !whole {
			return
		}
		imps, _, err := parseGoSource("f.go", []byte(src))
		if err != nil || !slices.Equal(imps, got) && len(imps)+len(got) > 0 {
			t.Errorf("scanImports(%q) = %q; the parser: %q, %v", src, got, imps, err)
		}
	})
}
