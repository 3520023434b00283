// Command a uses auth, token and a vendored module.
package main

import (
	"fmt"

	"example.com/mono/internal/auth"
	"example.com/mono/pkg/token"
	"example.com/used"
)

func main() { fmt.Println(auth.Check(), token.New(), used.Name()) }
