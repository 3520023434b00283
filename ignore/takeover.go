package ignore

import (
	"bufio"
	"bytes"
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
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case line == takenOverHeader:
			in, ok = true, true
		case in && strings.HasPrefix(line, takenOverPrefix):
			kept.WriteString(strings.TrimPrefix(line, takenOverPrefix))
			kept.WriteByte('\n')
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
	return f, true, nil
}
