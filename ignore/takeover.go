package ignore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// takenOverHeader opens the block where a generated file keeps the patterns of the user's file it took
// over (--force), so that regeneration, and monoctx's own reading of the input set, start from the
// user's patterns rather than from the narrowed copy the allowlist carries. Docker reads the block as
// comments.
const (
	takenOverHeader = "# The user's own patterns, taken over with --force and kept here for regeneration:"
	takenOverPrefix = "#| "
)

// writeTakenOver appends the user's patterns, one per line, as comments.
func writeTakenOver(g *generator, user *File) {
	g.blank()
	g.comment(takenOverHeader)
	for _, p := range user.Patterns {
		g.comment(takenOverPrefix + p.String())
	}
}

// TakenOver returns the user's patterns kept in a generated file that took over the user's own file,
// parsed as a File named name; ok is false when data keeps none.
func TakenOver(name string, data []byte) (f *File, ok bool, err error) {
	if !IsGenerated(data) {
		return nil, false, nil
	}
	var kept bytes.Buffer
	var lines []int // the generated file's line of each kept pattern, for messages
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == takenOverHeader:
			in, ok = true, true
		case in && strings.HasPrefix(line, takenOverPrefix):
			kept.WriteString(strings.TrimPrefix(line, takenOverPrefix))
			kept.WriteByte('\n')
			lines = append(lines, n)
		case in:
			in = false
		}
	}
	if err := sc.Err(); err != nil || !ok {
		return nil, false, err
	}
	f, err = Parse(name, kept.Bytes())
	if err != nil {
		return nil, false, err
	}
	for i := range f.Patterns {
		if l := f.Patterns[i].Line - 1; l >= 0 && l < len(lines) {
			f.Patterns[i].Line = lines[l]
		}
	}
	return f, true, nil
}

// ReadUser reads the user's patterns from an ignore file: the file itself when the user wrote it, or
// the patterns a generated file keeps from a taken-over user file (nil when it keeps none: what the
// generated allowlist says is derived, never the user's intent). generated reports which. A missing
// file is an error wrapping fs.ErrNotExist.
func ReadUser(path, name string) (f *File, generated bool, err error) {
	return ReadUserIn(os.ReadFile, path, name)
}

// ReadUserIn is ReadUser reading the file with read (a view of the repository).
func ReadUserIn(read func(string) ([]byte, error), path, name string) (f *File, generated bool, err error) {
	data, err := read(path)
	if err != nil {
		return nil, false, fmt.Errorf("reading ignore file: %w", err)
	}
	if !IsGenerated(data) {
		f, err := Parse(name, data)
		return f, false, err
	}
	f, _, err = TakenOver(name, data)
	return f, true, err
}
