// Command api uses a workspace module and a locally replaced module.
package main

import (
	"fmt"

	"example.com/lib/greet"
	"example.com/shared/util"
)

func main() { fmt.Println(greet.Hello(), util.Upper("x")) }
