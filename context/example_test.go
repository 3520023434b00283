package buildctx_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	buildctx "github.com/monoctx/monoctx/context"
)

func ExampleList() {
	root, err := os.MkdirTemp("", "monoctx-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	for name, content := range map[string]string{
		"apps/web/Dockerfile": "FROM scratch\nCOPY . /app/\n",
		"apps/web/main.go":    "package main\n",
		"apps/api/main.go":    "package main\n",
		"libs/ui/button.ts":   "export {}\n",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Println(err)
			return
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	src := buildctx.Source{
		Root:       root,
		Dir:        root,
		Roots:      []string{"apps/web", "libs/ui"},
		Dockerfile: filepath.Join(root, "apps/web/Dockerfile"),
	}
	entries, err := buildctx.List(context.Background(), src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Println(e.Type, e.Path)
	}
	stats, err := buildctx.Write(context.Background(), io.Discard, src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("-f", stats.DockerfileInTar)
	// Output:
	// dir apps
	// dir apps/web
	// file apps/web/Dockerfile
	// file apps/web/main.go
	// dir libs
	// dir libs/ui
	// file libs/ui/button.ts
	// -f apps/web/Dockerfile
}
