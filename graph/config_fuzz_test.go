package graph

import (
	"errors"
	"strings"
	"testing"
)

// Any monoctx.yaml gives a config or an error of the file that names no Go type.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"apps:\n  web:\n    dockerfile: web/Dockerfile\n    skip: \"yes\"\n",
		"global: [a]\n---\nglobal: [b]\n",
		"apps:\n  - web\n",
		"x: &a [*a]\napps: *a\n",
		"artifacts:\n  - path: bin/x\n    go: cmd/x\n",
		"discovery: {dockerfiles: 'false', skip: [\"a[\"]}\n",
		"\tapps:\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, err := ParseConfig("monoctx.yaml", []byte(src))
		if err == nil {
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.File != "monoctx.yaml" {
			t.Fatalf("%q: error %v (%T) is not a ParseError of monoctx.yaml", src, err, err)
		}
		for _, goType := range []string{"graph.", "map[", "[]string", "*string", "struct {"} {
			if strings.Contains(err.Error(), goType) {
				t.Fatalf("%q: error names a Go type: %v", src, err)
			}
		}
	})
}
