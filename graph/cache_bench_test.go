//go:build unix

package graph_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/graph/cache"
)

// treeBlobs stands in for graph/tree's work-tree view in benchmarks: git's blob id of every file,
// known before the run as the index knows it, so a warm run need not read the files it parsed.
type treeBlobs map[string]string

func (t treeBlobs) BlobID(name string) (string, bool) { id, ok := t[name]; return id, ok }

func blobsOf(b *testing.B, root string) treeBlobs {
	b.Helper()
	out := treeBlobs{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = cache.BlobID(data)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// benchCache runs load with the parse cache off, cold (an empty cache each time, flushed), warm
// (filled by an earlier run; blob ids by hashing the files) and warm with known blob ids.
func benchCache(b *testing.B, dir string, load func(opts ...graph.Option)) {
	loop := func(b *testing.B, f func()) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			f()
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
	b.Run("off", func(b *testing.B) { loop(b, func() { load() }) })
	b.Run("cold", func(b *testing.B) {
		loop(b, func() {
			c := cache.Open(b.TempDir(), "bench")
			load(graph.WithCache(c, nil))
			if err := c.Flush(); err != nil {
				b.Fatal(err)
			}
		})
	})
	cdir := b.TempDir()
	c := cache.Open(cdir, "bench")
	load(graph.WithCache(c, nil))
	if err := c.Flush(); err != nil {
		b.Fatal(err)
	}
	b.Run("warm-hashed", func(b *testing.B) {
		loop(b, func() { load(graph.WithCache(cache.Open(cdir, "bench"), nil)) })
	})
	blobs := blobsOf(b, dir)
	b.Run("warm-blob-ids", func(b *testing.B) {
		loop(b, func() { load(graph.WithCache(cache.Open(cdir, "bench"), blobs)) })
	})
}

// cpuTime is the process's user and system time: steadier than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLoadNPMWorkspaceCache is BenchmarkLoadNPMWorkspace through the parse cache.
func BenchmarkLoadNPMWorkspaceCache(b *testing.B) {
	dir, apps := npmBenchRepo(b)
	benchCache(b, dir, func(opts ...graph.Option) {
		g, err := graph.Load(context.Background(), dir, opts...)
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Apps) != apps {
			b.Fatalf("got %d apps, want %d", len(g.Apps), apps)
		}
	})
}

// BenchmarkLoadCache is BenchmarkLoad (1,000 apps, COPY sources only: Dockerfile analyses are
// what the cache holds) through the parse cache.
func BenchmarkLoadCache(b *testing.B) {
	r := loadBenchRepo(b)
	benchCache(b, r.dir, func(opts ...graph.Option) {
		if _, err := graph.Load(context.Background(), r.dir, opts...); err != nil {
			b.Fatal(err)
		}
	})
}
