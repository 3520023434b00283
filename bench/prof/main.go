// Command prof runs monoctx in-process under the CPU profiler, for scripts/bench's profiles of the
// slowest comparisons (monoctx itself has no profiling flag):
//
//	go run ./bench/prof -cpuprofile cpu.out -C REPO -- affected --base HEAD~100 --head HEAD
//	go tool pprof -top cpu.out
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/monoctx/monoctx/cmd"
)

func main() {
	cpu := flag.String("cpuprofile", "cpu.out", "write the CPU profile here")
	dir := flag.String("C", ".", "run monoctx in this directory")
	flag.Parse()
	code, err := run(*cpu, *dir, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "prof:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(cpu, dir string, args []string) (int, error) {
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
	return code, f.Close()
}
