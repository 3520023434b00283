package jsdeps

import (
	"context"
	"fmt"
	"testing"

	"github.com/monoctx/monoctx/bench/benchgen"
)

// BenchmarkLoadAndInputs is one load of the generated 2,000-package npm workspace and the inputs
// of each of its 200 apps: what narrowing the apps of that benchmark asks of this package.
func BenchmarkLoadAndInputs(b *testing.B) {
	dir := b.TempDir()
	if err := (benchgen.NPMWorkspace{Packages: 2000, Apps: 200}).Write(dir); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w, err := Load(context.Background(), dir, ".")
		if err != nil {
			b.Fatal(err)
		}
		for i := range 200 {
			if _, err := w.Inputs(fmt.Sprintf("app%03d", i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkInputs is the inputs of the 200 apps of a loaded workspace.
func BenchmarkInputs(b *testing.B) {
	dir := b.TempDir()
	if err := (benchgen.NPMWorkspace{Packages: 2000, Apps: 200}).Write(dir); err != nil {
		b.Fatal(err)
	}
	w, err := Load(context.Background(), dir, ".")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 200 {
			if _, err := w.Inputs(fmt.Sprintf("app%03d", i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
