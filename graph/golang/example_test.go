package golang_test

import (
	"context"
	"fmt"

	"github.com/monoctx/monoctx/graph/golang"
)

func ExampleAnalyze() {
	c, err := golang.Analyze(context.Background(), "testdata/mono", "cmd/b")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range c.Files {
		fmt.Println(in.Path, in.Why)
	}
	fmt.Println("external:", c.ExternalModules)
	// Output:
	// cmd/b/main.go [cmd/b]
	// go.mod [go.mod of module example.com/mono]
	// go.sum [go.sum of module example.com/mono]
	// pkg/token/token.go [cmd/b pkg/token]
	// vendor/example.com/bonly/bonly.go [cmd/b vendor/example.com/bonly]
	// vendor/modules.txt [vendor/modules.txt (vendored build)]
	// external: [example.com/bonly]
}
