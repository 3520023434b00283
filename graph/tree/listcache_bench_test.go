package tree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDirList lists a tree of 200 apps of 100 files (400 directories) by a walk and through
// the listing cache, warm: what `affected` spends before discovery on a large work tree.
func BenchmarkDirList(b *testing.B) {
	root := b.TempDir()
	if _, ok := rootDevice(root); !ok {
		b.Skip("no listing cache on this file system or OS")
	}
	for a := range 200 {
		dir := filepath.Join(root, "apps", fmt.Sprintf("app%04d", a), "src")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.txt", f)), nil, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	file := filepath.Join(b.TempDir(), "listing")
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			if _, err := NewDir(root).List(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		if _, err := cachedDir(root, file).List(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			d := cachedDir(root, file)
			if _, err := d.List(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			if d.lastList.reads != 0 {
				b.Fatalf("%d directories read through a warm cache", d.lastList.reads)
			}
		}
	})
}
