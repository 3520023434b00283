//go:build unix

package golang

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	benchPackages = 5000
	benchCommands = 10
	benchImports  = 3
)

// generateRepo writes a module of benchPackages library packages, each
// importing about benchImports packages with lower numbers, and
// benchCommands main packages under cmd/ that import 300 packages each.
func generateRepo(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	rng := rand.New(rand.NewSource(1))
	write := func(rel, content string) {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("go.mod", "module example.com/gen\n\ngo 1.22\n")
	imports := func(n, below int) string {
		seen := map[int]bool{}
		var b strings.Builder
		for len(seen) < n && len(seen) < below {
			j := rng.Intn(below)
			if seen[j] {
				continue
			}
			seen[j] = true
			fmt.Fprintf(&b, "\t_ \"example.com/gen/pkg/p%d\"\n", j)
		}
		return b.String()
	}
	for i := 0; i < benchPackages; i++ {
		dir := fmt.Sprintf("pkg/p%d", i)
		write(dir+"/a.go", fmt.Sprintf("// Package p%d is generated.\npackage p%d\n\nimport (\n\t\"fmt\"\n%s)\n\n// X is exported.\nvar X = fmt.Sprint(%d)\n", i, i, imports(benchImports, i), i))
		write(dir+"/b.go", fmt.Sprintf("package p%d\n\n// Y is exported.\nconst Y = %d\n", i, i))
		write(dir+"/a_test.go", fmt.Sprintf("package p%d\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n", i))
	}
	for i := 0; i < benchCommands; i++ {
		write(fmt.Sprintf("cmd/c%d/main.go", i), fmt.Sprintf("package main\n\nimport (\n%s)\n\nfunc main() {}\n", imports(300, benchPackages)))
	}
	return root
}

// BenchmarkAnalyze analyses every command of the generated repository with
// a new Analyzer per iteration (nothing cached).
func BenchmarkAnalyze(b *testing.B) {
	root := generateRepo(b)
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		a, err := NewAnalyzer(root)
		if err != nil {
			b.Fatal(err)
		}
		pkgs, union := 0, map[string]bool{}
		for i := 0; i < benchCommands; i++ {
			c, err := a.Analyze(ctx, fmt.Sprintf("cmd/c%d", i))
			if err != nil {
				b.Fatal(err)
			}
			pkgs = max(pkgs, len(c.Packages))
			for _, p := range c.Packages {
				union[p] = true
			}
		}
		b.ReportMetric(float64(pkgs), "pkgs/closure")
		b.ReportMetric(float64(len(union)), "pkgs/union")
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkAnalyzeWarm analyses every command again with an Analyzer that
// has seen them before.
func BenchmarkAnalyzeWarm(b *testing.B) {
	root := generateRepo(b)
	ctx := context.Background()
	a, err := NewAnalyzer(root)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < benchCommands; i++ {
		if _, err := a.Analyze(ctx, fmt.Sprintf("cmd/c%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime()
	for b.Loop() {
		for i := 0; i < benchCommands; i++ {
			if _, err := a.Analyze(ctx, fmt.Sprintf("cmd/c%d", i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkGoListDeps runs `go list -deps ./cmd/...` on the same generated
// repository, for comparison.
func BenchmarkGoListDeps(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("go command not found")
	}
	root := generateRepo(b)
	b.ResetTimer()
	var cpu time.Duration
	for b.Loop() {
		cmd := exec.Command("go", "list", "-deps", "./cmd/...")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go list: %v\n%s", err, out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
