package discover

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// The listing answers isFile and isDir by binary search: a directory is a prefix of some path
// followed by "/", which in sorted order may come after names such as "a-b" and "a.c" that sort
// before "a/"; a file list given out of order, with repeats, is sorted first.
func TestScanLooksUpFilesAndDirectories(t *testing.T) {
	files := []string{"z/Dockerfile", "a.c", "a-b/x", "a/y/Dockerfile", "a-b/x", "vendor/v/Dockerfile", "b/vendor/w"}
	ft, err := scan(context.Background(), nil, Options{Files: files, Skip: []string{"**/vendor"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a-b/x", "a.c", "a/y/Dockerfile", "z/Dockerfile"}; !reflect.DeepEqual(ft.files, want) {
		t.Errorf("files: got %q, want %q", ft.files, want)
	}
	if want := []string{"a/y/Dockerfile", "z/Dockerfile"}; !reflect.DeepEqual(ft.dockerfiles, want) {
		t.Errorf("dockerfiles: got %q, want %q", ft.dockerfiles, want)
	}
	for p, want := range map[string]bool{"a-b/x": true, "a.c": true, "a/y/Dockerfile": true, "a": false, "a/y": false, "a-b": false, "b/vendor/w": false} {
		if got := ft.isFile(p); got != want {
			t.Errorf("isFile(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{".": true, "a": true, "a/y": true, "a-b": true, "z": true, "a.c": false, "a/y/Dockerfile": false, "b": false, "vendor": false, "y": false, "a/": false} {
		if got := ft.isDir(p); got != want {
			t.Errorf("isDir(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestParseShellOncePerProgram(t *testing.T) {
	a, err := parseShell("docker build -t x .\n", "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := parseShell("docker build -t x .\n", "Makefile")
	c, _ := parseShell("docker build -t y .\n", "Makefile")
	if a != b || a == c {
		t.Errorf("parses: same program %p %p, other program %p; want one tree per program", a, b, c)
	}
	if _, err := parseShell("if then\n", "Makefile"); err == nil || !strings.Contains(err.Error(), "Makefile") {
		t.Errorf("a broken program: %v; want the parser's error naming the file", err)
	}
}
