// Command prof runs monoctx in-process under the CPU profiler, for scripts/bench's profiles of the
// slowest comparisons (monoctx itself has no profiling flag):
//
//	go run ./bench/prof -cpuprofile cpu.out -C REPO -- affected --base HEAD~100 --head HEAD
//	go tool pprof -top cpu.out
//
// -memprofile writes a heap profile as the command ends: -sample_index=alloc_space is what it
// allocated (fresh memory is slow to touch on some virtual machines), inuse_space what it held.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"

	"github.com/monoctx/monoctx/cmd"
)

func main() {
	cpu := flag.String("cpuprofile", "cpu.out", "write the CPU profile here")
	mem := flag.String("memprofile", "", "write a heap profile here as the command ends (what it allocated, and held then)")
	dir := flag.String("C", ".", "run monoctx in this directory")
	flag.Parse()
	if *mem != "" {
		runtime.MemProfileRate = 4096 // small objects count: most of the heap is
	}
	code, err := run(*cpu, *mem, *dir, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "prof:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(cpu, mem, dir string, args []string) (int, error) {
	if mem != "" && !filepath.IsAbs(mem) {
		wd, err := os.Getwd()
		if err != nil {
			return 0, err
		}
		mem = filepath.Join(wd, mem) // the caller's directory, not -C's
	}
	f, err := os.Create(cpu) // before the chdir: a relative path is the caller's
	if err != nil {
		return 0, err
	}
	if err := os.Chdir(dir); err != nil {
		f.Close()
		return 0, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return 0, err
	}
	env := cmd.System()
	env.Out = io.Discard
	code := cmd.ExecuteArgs(context.Background(), env, args)
	pprof.StopCPUProfile()
	if mem != "" {
		if err := writeHeap(mem); err != nil {
			f.Close()
			return 0, err
		}
	}
	return code, f.Close()
}

func writeHeap(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
