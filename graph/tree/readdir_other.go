//go:build !linux

package tree

import (
	"io/fs"
	"os"
)

// readDir calls fn with the name and type of each entry of the directory dir, in no particular
// order. name is valid during the call only. key is left as it is: no listing is cached here.
func readDir(dir string, _ []byte, _ *statKey, fn func(name []byte, typ fs.FileMode)) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		fn([]byte(e.Name()), e.Type())
	}
	return nil
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
