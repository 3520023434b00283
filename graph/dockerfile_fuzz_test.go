package graph

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"testing"
	"unicode"
)

// FuzzDockerfileSources reads arbitrary Dockerfiles with one build arg and checks what the input
// sets are built from: every source is a clean context-relative path that never leaves the
// context, on a line of the file; every error is a *ParseError of that file with a printable
// message.
func FuzzDockerfileSources(f *testing.F) {
	for _, s := range []struct{ df, arg string }{
		{"FROM scratch\nCOPY a b/ /dst/\n", ""},
		{"FROM scratch\nARG X=lib\nCOPY ${X}/a /a/\n", "../up"},
		{"FROM scratch\nCOPY ${X /a/\n", ""},
		{"FROM scratch\nARG X\nCOPY ${X:-a}/../b /b\n", "x/y"},
		{"FROM alpine AS b\nRUN --mount=type=bind,source=${X},target=/s true\nFROM b\nCOPY --from=b /x /y\n", "s/./t"},
		{"ARG V=1\nFROM scratch\nADD --exclude=*.md ./docs/ /d/\nCOPY [\"a b\", \"/c\"]\n", "/abs"},
		{"# escape=`\nFROM scratch\nCOPY `$X /x\nENV A=${X}/c\nCOPY $A /y\n", "z"},
		{"FROM scratch\nCOPY $TARGETARCH/* /bin/\n", ""},
	} {
		f.Add(s.df, s.arg)
	}
	f.Fuzz(func(t *testing.T, df, arg string) {
		if len(df) > 4096 {
			return
		}
		lines := bytes.Count([]byte(df), []byte("\n")) + 1
		info, err := analyzeDockerfile("d/Dockerfile", []byte(df), map[string]string{"X": arg}, "")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "d/Dockerfile" {
				t.Fatalf("error %v (%T) is not a ParseError of d/Dockerfile", err, err)
			}
			if strings.IndexFunc(pe.Msg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("unprintable message %q", pe.Msg)
			}
			if pe.Line < 0 || pe.Line > lines {
				t.Errorf("line %d outside the file's %d lines: %v", pe.Line, lines, err)
			}
			return
		}
		for _, s := range append(append([]Source(nil), info.Sources...), info.Named...) {
			p := s.Path
			if p == "" || path.Clean(p) != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
				t.Errorf("source %q from %q is not a clean context-relative path", p, s.Text)
			}
			if strings.Contains(p, unknownValue) {
				t.Errorf("source %q holds the unknown-value marker", p)
			}
			if s.Line < 1 || s.Line > lines {
				t.Errorf("source %q on line %d, outside the file's %d lines", p, s.Line, lines)
			}
		}
	})
}
