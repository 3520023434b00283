// Command b uses token and the bonly module only.
package main

import (
	"fmt"

	"example.com/bonly"
	"example.com/mono/pkg/token"
)

func main() { fmt.Println(token.New(), bonly.Name()) }
