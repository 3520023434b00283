package ignore

import (
	"bytes"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// docker2010 reads an ignore file the way Docker 20.10 does: the same line reader (ignorefile is
// a copy of 20.10's builder/dockerignore.ReadAll), then 20.10's matcher.
func docker2010(t testing.TB, data []byte) (*docker2010Matcher, error) {
	t.Helper()
	pats, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return newDocker2010Matcher(pats)
}

// escapeSeeds are names that broke generated files before: regular-expression operators that
// Docker 20.10 passes raw ("c++" is a syntax error there, "(marketing)" a group, "| " an
// alternation that matches everything), and the characters ignore files and text/scanner drop.
var escapeSeeds = []string{
	"libs/c++", "web/app/(marketing)", "a+b", "x{2}", "| ", "0", "^a", "a$", "a.b", "[x]", "q?", `a\b`,
	"!x", "#x", " x", "x ", "x\u00a0", "\ufeffbom", "a\rb", "a\r", "über", "a\\n", "{a,b}", "*",
}

// nearMisses are paths that differ from name by one rune (deleted, doubled, replaced) or by
// dropping its punctuation: what a pattern read as more than its text would also match.
func nearMisses(name string) []string {
	var out []string
	add := func(s string) {
		s = path.Clean(s)
		if s != name && s != "." && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "../") && s != ".." &&
			!strings.HasPrefix(s, name+"/") && utf8.ValidString(s) {
			out = append(out, s)
		}
	}
	for i, r := range name {
		n := utf8.RuneLen(r)
		add(name[:i] + name[i+n:])
		add(name[:i] + string(r) + name[i:])
		add(name[:i] + "x" + name[i+n:])
	}
	add(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`()[]{}|+^\?*$.`, r) {
			return -1
		}
		return r
	}, name))
	add("x")
	return out
}

// FuzzEscapeMatchesExactlyThePath checks, for any name, that the line Escape writes matches that
// path and what lies below it, and nothing else tried, in moby/patternmatcher (current) and in
// Docker 20.10's matcher, as an exclusion and as an exception after "*".
func FuzzEscapeMatchesExactlyThePath(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 64 {
			return // near misses grow with the square of the length; length adds no case
		}
		name = path.Clean(name)
		if name == "." || name == ".." || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "../") {
			return
		}
		if !Expressible(name) {
			return // TestGenerateKeepsTheParentOfAnInexpressibleName
		}
		esc := Escape(name)
		pats, err := ignorefile.ReadAll(strings.NewReader("!" + esc + "\n"))
		if err != nil || len(pats) != 1 || pats[0] != "!"+esc {
			t.Fatalf("Escape(%q) = %q does not read back unchanged: %q, %v", name, esc, pats, err)
		}
		cur, err := patternmatcher.New([]string{esc})
		if err != nil {
			t.Fatalf("patternmatcher rejects Escape(%q) = %q: %v", name, esc, err)
		}
		old, err := newDocker2010Matcher([]string{esc})
		if err != nil {
			t.Fatalf("Docker 20.10 rejects Escape(%q) = %q: %v", name, esc, err)
		}
		curEx, err := patternmatcher.New([]string{"*", "!" + esc})
		if err != nil {
			t.Fatal(err)
		}
		oldEx, err := newDocker2010Matcher([]string{"*", "!" + esc})
		if err != nil {
			t.Fatal(err)
		}
		check := func(p string, want bool) {
			if got, err := cur.MatchesOrParentMatches(p); err != nil || got != want {
				t.Errorf("patternmatcher: %q matches %q = %v (err %v), want %v", esc, p, got, err, want)
			}
			if got, err := old.Matches(p); err != nil || got != want {
				t.Errorf("Docker 20.10: %q matches %q = %v (err %v), want %v", esc, p, got, err, want)
			}
			if got, err := curEx.MatchesOrParentMatches(p); err != nil || got == want {
				t.Errorf("patternmatcher: *, !%s excludes %q = %v (err %v), want %v", esc, p, got, err, !want)
			}
			if got, err := oldEx.Matches(p); err != nil || got == want {
				t.Errorf("Docker 20.10: *, !%s excludes %q = %v (err %v), want %v", esc, p, got, err, !want)
			}
		}
		check(name, true)
		check(name+"/x", true)
		for _, m := range nearMisses(name) {
			check(m, false)
		}
	})
}

func TestGenerateKeepsTheParentOfAnInexpressibleName(t *testing.T) {
	out, err := Generate(Spec{Keep: []string{"web/a\nb/c", "libs/\xffx", "app"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# \"libs/\\xffx\" cannot be written in an ignore file (line break, NUL or not UTF-8): its directory \"libs\" is kept whole.\n",
		"# \"web/a\\nb/c\" cannot be written in an ignore file (line break, NUL or not UTF-8): its directory \"web\" is kept whole.\n",
		"*\n!app\n!libs\n!web\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("generated file lacks %q:\n%s", want, out)
		}
	}
	for _, p := range []string{"web/a\nb/c", "web/other", "libs/\xffx", "app"} {
		if mustParse(t, string(out)).Excluded(p) {
			t.Errorf("%q is excluded:\n%s", p, out)
		}
	}
	out, err = Generate(Spec{Keep: []string{"a\nb"}})
	if err != nil || !strings.Contains(string(out), `its directory "." is kept whole`) || strings.Contains(string(out), "\n*\n") {
		t.Errorf("a top-level inexpressible name: want the whole context kept, got %v:\n%s", err, out)
	}
}
