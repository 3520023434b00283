// Command gen writes a generated benchmark repository (bench/benchgen) for scripts/bench:
//
//	go run ./bench/gen mono -apps 1000 -files 200000 -big 10000 DIR
//	go run ./bench/gen npm -packages 2000 -apps 200 DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/monoctx/monoctx/bench/benchgen"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: gen mono|npm [flags] DIR")
	}
	fs := flag.NewFlagSet("gen "+args[0], flag.ContinueOnError)
	apps := fs.Int("apps", 0, "apps (mono: 1000, npm: 200)")
	files := fs.Int("files", 200000, "mono: files in all")
	big := fs.Int("big", 10000, "mono: paths the big commit changes (0: none)")
	pkgs := fs.Int("packages", 2000, "npm: workspace packages")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: gen %s [flags] DIR", args[0])
	}
	dir := fs.Arg(0)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; remove it first", dir)
	}
	switch args[0] {
	case "mono":
		if *apps == 0 {
			*apps = 1000
		}
		return benchgen.Monorepo{Apps: *apps, Files: *files, BigChange: *big}.Write(ctx, dir)
	case "npm":
		if *apps == 0 {
			*apps = 200
		}
		return benchgen.NPMWorkspace{Packages: *pkgs, Apps: *apps}.Commit(ctx, dir)
	}
	return fmt.Errorf("unknown kind %q: want mono or npm", args[0])
}
