//go:build !linux

package tree

import (
	"errors"
	"io"
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

// ReadHead reads the start of the file name (a path of the OS) into buf: n < len(buf) is the
// whole file.
func ReadHead(name string, buf []byte) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}
