//go:build unix

package golang

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/monoctx/monoctx/graph/cache"
)

// BenchmarkAnalyzeCache is BenchmarkAnalyze through the parse cache: off, cold (an empty cache,
// flushed), warm with blob ids by hashing each file, and warm with the blob ids known (as
// graph/tree's work-tree view knows them from the index), which reads no Go file.
func BenchmarkAnalyzeCache(b *testing.B) {
	root := generateRepo(b)
	ctx := context.Background()
	analyze := func(opts ...Option) {
		a, err := NewAnalyzer(root, opts...)
		if err != nil {
			b.Fatal(err)
		}
		for i := range benchCommands {
			if _, err := a.Analyze(ctx, fmt.Sprintf("cmd/c%d", i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("off", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			analyze()
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("cold", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			c := cache.Open(b.TempDir(), "bench")
			analyze(WithCache(c, nil))
			if err := c.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	dir := b.TempDir()
	c := cache.Open(dir, "bench")
	analyze(WithCache(c, nil))
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	b.Run("warm-hashed", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			analyze(WithCache(cache.Open(dir, "bench"), nil))
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	blobs := blobMap{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		blobs[filepath.ToSlash(rel)] = cache.BlobID(data)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("warm-blob-ids", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			analyze(WithCache(cache.Open(dir, "bench"), blobs))
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}
