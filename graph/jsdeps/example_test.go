package jsdeps_test

import (
	"context"
	"fmt"

	"github.com/monoctx/monoctx/graph/jsdeps"
)

func ExampleWorkspace_Inputs() {
	w, err := jsdeps.Load(context.Background(), "testdata/pnpm", "apps/web")
	if err != nil {
		fmt.Println(err)
		return
	}
	inputs, err := w.Inputs("web")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range inputs {
		fmt.Println(in.Path, in.Dir, in.Why)
	}
	// Output:
	// apps/web true [web]
	// package.json false [workspace root package.json]
	// packages/ui true [web @acme/ui]
	// pnpm-lock.yaml false [lockfile]
	// pnpm-workspace.yaml false [package manager configuration]
}
