package ignore

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// fixture is the tree the generation tests build. Names with spaces,
// wildcards and other characters that need escaping are included on
// purpose.
var fixture = []string{
	"Dockerfile",
	"README.md",
	"go.work",
	".git/config",
	".git/objects/ab/cdef",
	"apps/web/Dockerfile",
	"apps/web/README.md",
	"apps/web/src/main.go",
	"apps/web/src/util/u.go",
	"apps/web/node_modules/react/index.js",
	"apps/web/node_modules/keep/k.js",
	"apps/web/{a,b}/f",
	"apps/web2/x",
	"apps/api/Dockerfile",
	"apps/api/main.go",
	"libs/auth/go.mod",
	"libs/auth/auth.go",
	"libs/auth/sub/x.go",
	"libs/ui/button.tsx",
	"libs/ui/README.md",
	"we b/a b.txt",
	"we b/other",
	"star*dir/f",
	"star*dir/g/h",
	"starXdir/f",
	"br[ack]/f",
	"brack/f",
	"q?/f",
	"qq/f",
	"#hash/f",
	"!bang/f",
	"bang/f",
	"trail /f",
	"trail/f",
	" lead/f",
	"lead/f",
	"caret^x/f",
	"back\\slash/f",
	"apps/web/.env",
}

func buildFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range fixture {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func dockerMatcher(t *testing.T, data []byte) *patternmatcher.PatternMatcher {
	t.Helper()
	pats, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(pats)
	if err != nil {
		t.Fatalf("patternmatcher.New: %v\n%s", err, data)
	}
	return pm
}

// legacyFiles simulates the classic builder's context walk (go-archive
// Tarballer): every path is matched with MatchesOrParentMatches; an
// excluded directory is skipped unless some exception's text plus "/"
// starts with the directory plus "/". It returns the regular files sent.
func legacyFiles(t *testing.T, root string, pm *patternmatcher.PatternMatcher) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		skip, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if skip {
			if !d.IsDir() {
				return nil
			}
			if !pm.Exclusions() {
				return filepath.SkipDir
			}
			for _, pat := range pm.Patterns() {
				if pat.Exclusion() && strings.HasPrefix(pat.String()+"/", rel+"/") {
					return nil
				}
			}
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// buildkitFiles simulates BuildKit's fsutil filter walk: matching with
// MatchesUsingParentResults and the parent's MatchInfo; an excluded
// directory is pruned by the prefix rule only when every exception is free
// of "*[]?^\" after dropping a trailing "/**" or "/*", and walked in full
// otherwise. It returns the regular files sent.
func buildkitFiles(t *testing.T, root string, pm *patternmatcher.PatternMatcher) []string {
	t.Helper()
	withoutTrailingGlob := func(p *patternmatcher.Pattern) string {
		s := strings.TrimSuffix(p.String(), "/**")
		return strings.TrimSuffix(s, "/*")
	}
	onlyPrefix := true
	for _, p := range pm.Patterns() {
		if p.Exclusion() && strings.ContainsAny(withoutTrailingGlob(p), `*[]?^\`) {
			onlyPrefix = false
		}
	}
	infos := map[string]patternmatcher.MatchInfo{}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		m, info, err := pm.MatchesUsingParentResults(rel, infos[path.Dir(rel)])
		if err != nil {
			return err
		}
		if d.IsDir() {
			infos[rel] = info
		}
		if m {
			if d.IsDir() && onlyPrefix {
				if !pm.Exclusions() {
					return filepath.SkipDir
				}
				for _, pat := range pm.Patterns() {
					if pat.Exclusion() && strings.HasPrefix(withoutTrailingGlob(pat)+"/", rel+"/") {
						return nil
					}
				}
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// under reports whether f is k or lies below it.
func under(f, k string) bool {
	return k == "." || f == k || strings.HasPrefix(f, k+"/")
}

// wantFiles is the specification of Generate: the fixture files at or
// below a kept path, minus what the user's own file excludes (Docker's
// evaluation), minus what a heavy pattern matches.
func wantFiles(t *testing.T, s Spec) []string {
	t.Helper()
	var heavy *File
	if len(s.Heavy) > 0 {
		heavy = mustParse(t, strings.Join(s.Heavy, "\n"))
	}
	var out []string
	for _, f := range fixture {
		kept := slices.ContainsFunc(s.Keep, func(k string) bool { return under(f, path.Clean(k)) })
		if kept && !s.User.Excluded(f) && !heavy.Excluded(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// wildcardException reports whether a generated line is an exception with
// an unescaped wildcard. Escapes ("\x") and one-character classes ("[ ]")
// are literal.
func wildcardException(line string) bool {
	if !strings.HasPrefix(line, "!") {
		return false
	}
	s := line[1:]
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			_, size := utf8.DecodeRuneInString(s[i+1:])
			if j := i + 1 + size; size > 0 && j < len(s) && s[j] == ']' {
				i = j
				continue
			}
			return true
		case '*', '?', ']':
			return true
		}
	}
	return false
}

func userFile(t *testing.T, data string) *File {
	t.Helper()
	f, err := Parse(".dockerignore", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGenerateSendsOnlyTheInputsWithBothBuilders(t *testing.T) {
	root := buildFixture(t)
	tests := []struct {
		name string
		spec Spec
		// extra checks on top of wantFiles; nil means wantFiles alone
		want []string
	}{
		{name: "one app directory", spec: Spec{Keep: []string{"apps/web"}}},
		{name: "brief example", spec: Spec{Keep: []string{"apps/web", "libs/auth/go.mod"}}},
		{name: "root file", spec: Spec{Keep: []string{"go.work", "Dockerfile"}}},
		{name: "nested kept paths collapse", spec: Spec{Keep: []string{"apps/web/src", "apps/web", "apps/web/src/main.go"}}},
		{name: "deep file", spec: Spec{Keep: []string{"libs/auth/sub/x.go"}}},
		{name: "sibling prefix", spec: Spec{Keep: []string{"apps/web"}}, want: nil},
		{name: "nothing", spec: Spec{Keep: nil}},
		{name: "whole context", spec: Spec{Keep: []string{"."}}},
		{name: "whole context with heavy", spec: Spec{Keep: []string{".", "apps/web"}, Heavy: []string{"**/.git", "**/node_modules"}}},
		{name: "space in names", spec: Spec{Keep: []string{"we b/a b.txt"}}},
		{name: "star in a name", spec: Spec{Keep: []string{"star*dir/f"}}},
		{name: "bracket and question mark", spec: Spec{Keep: []string{"br[ack]/f", "q?"}}},
		{name: "hash and bang", spec: Spec{Keep: []string{"#hash", "!bang/f"}}},
		{name: "leading and trailing spaces", spec: Spec{Keep: []string{" lead/f", "trail "}}},
		{name: "caret and backslash", spec: Spec{Keep: []string{"caret^x", "back\\slash/f"}}},
		{name: "braces", spec: Spec{Keep: []string{"apps/web/{a,b}"}}},
		{
			name: "heavy inside kept directory",
			spec: Spec{Keep: []string{"apps/web", "libs/auth"}, Heavy: []string{"apps/web/node_modules", "**/.git", "libs/ui/x", "apps/web/node_modules"}},
		},
		{
			name: "user exclusions carried over",
			spec: Spec{Keep: []string{"apps/web", "libs"}, User: nil},
		},
		{
			name: "user literal exceptions are narrowed",
			spec: Spec{
				Keep: []string{"apps/web", "libs/auth"},
				User: nil, // set below
			},
		},
	}
	users := map[string]string{
		"user exclusions carried over":         "**/*.md\n**/.env\nlibs/ui\nunrelated\n",
		"user literal exceptions are narrowed": "*\n!apps\n!libs/auth/go.mod\n!README.md\n**/node_modules\n!apps/web/node_modules/keep\n",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			if u, ok := users[tt.name]; ok {
				s.User = userFile(t, u)
			}
			s.App, s.Dockerfile, s.Regenerate = "web", "apps/web/Dockerfile", "monoctx ignore --write apps/web"
			out, err := Generate(s)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			again, err := Generate(s)
			if err != nil || !bytes.Equal(out, again) {
				t.Errorf("Generate is not deterministic")
			}
			if !IsGenerated(out) {
				t.Errorf("output lacks the marker:\n%s", out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if wildcardException(line) {
					t.Errorf("wildcard exception %q in\n%s", line, out)
				}
			}
			want := tt.want
			if want == nil {
				want = wantFiles(t, s)
			}
			pm := dockerMatcher(t, out)
			if got := legacyFiles(t, root, pm); !slices.Equal(got, want) {
				t.Errorf("classic builder sends\n%q\nwant\n%q\nfile:\n%s", got, want, out)
			}
			if got := buildkitFiles(t, root, pm); !slices.Equal(got, want) {
				t.Errorf("BuildKit sends\n%q\nwant\n%q\nfile:\n%s", got, want, out)
			}
			f, err := Parse("generated", out)
			if err != nil {
				t.Fatal(err)
			}
			for _, file := range fixture {
				if f.Excluded(file) == slices.Contains(want, file) {
					t.Errorf("Excluded(%q) = %v disagrees with the walkers", file, f.Excluded(file))
				}
			}
		})
	}
}

func TestGenerateShape(t *testing.T) {
	out, err := Generate(Spec{
		App: "web", Dockerfile: "apps/web/Dockerfile", Regenerate: "monoctx ignore --write apps/web",
		Keep: []string{"libs/auth/go.mod", "apps/web", "apps/web/src"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Marker + `
# To regenerate: monoctx ignore --write apps/web
# Build context of app "web" (apps/web/Dockerfile): only its inputs are sent.

# Everything except the app's inputs:
*
!apps
apps/*
!apps/web
!libs
libs/*
!libs/auth
libs/auth/*
!libs/auth/go.mod
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestGenerateOrderDoesNotMatter(t *testing.T) {
	a, err := Generate(Spec{Keep: []string{"b", "a/x", "a/y", "c/d/e"}, Heavy: []string{"**/.git", "a/x/node_modules"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(Spec{Keep: []string{"c/d/e", "a/y", "b", "a/x", "b"}, Heavy: []string{"a/x/node_modules", "**/.git"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("different bytes for the same set:\n%s\n---\n%s", a, b)
	}
}

func TestGenerateNarrowsUserExceptions(t *testing.T) {
	user := userFile(t, "*.md\n!README.md\n**/node_modules\n!**/keep\n!apps\n!apps/web/x\n!libs\n")
	out, err := Generate(Spec{Keep: []string{"apps/web", "README.md"}, User: user})
	if err != nil {
		t.Fatal(err)
	}
	body := string(out[bytes.Index(out, []byte("# Carried over")):])
	want := `# Carried over from .dockerignore:
*.md
!README.md
**/node_modules
# Not carried over: "!**/keep" (.dockerignore:4): the classic builder does not apply wildcard exceptions inside excluded directories; list the paths to re-include literally.
!apps/web
!apps/web/x
`
	if body != want {
		t.Errorf("got\n%s\nwant\n%s", body, want)
	}
}

func TestGenerateWholeContextIsNeverEmpty(t *testing.T) {
	out, err := Generate(Spec{Keep: []string{"."}})
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, string(out))
	if len(f.Patterns) == 0 {
		t.Fatalf("no patterns in\n%s", out)
	}
	for _, file := range fixture {
		if f.Excluded(file) {
			t.Errorf("%q excluded by\n%s", file, out)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"absolute", Spec{Keep: []string{"/etc"}}, `generating ignore file: kept path "/etc" is absolute; want a path relative to the build context`},
		{"leaves context", Spec{Keep: []string{"a/../../x"}}, `generating ignore file: kept path "a/../../x" leaves the build context`},
		{"empty", Spec{Keep: []string{""}}, `generating ignore file: empty path in the kept paths`},
		{"heavy exception", Spec{Keep: []string{"a"}, Heavy: []string{"!a/b"}}, `generating ignore file: heavy pattern "!a/b": want one pattern that excludes, not a comment or an exception`},
		{"heavy excludes kept", Spec{Keep: []string{"apps/web/node_modules/x"}, Heavy: []string{"**/node_modules"}}, `generating ignore file: heavy pattern "**/node_modules" excludes the kept path "apps/web/node_modules/x"`},
		{"heavy invalid", Spec{Keep: []string{"a"}, Heavy: []string{"a["}}, `generating ignore file: heavy pattern:1: invalid pattern "a[": syntax error in pattern`},
		{"header newline", Spec{App: "a\nb"}, `generating ignore file: app name "a\nb" contains a line break`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.spec)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEscapeRoundTrips(t *testing.T) {
	names := []string{"a*b", "a?b", "[x]", `a\b`, "a^b", "!x", "#x", " x", "x ", "\tx\t", "a b", "x\u00a0", "{a,b}", "a.b+c$(d)|e"}
	for _, name := range names {
		f := mustParse(t, "*\n!"+Escape(name)+"\n")
		if f.Excluded(name) || f.Excluded(name+"/sub") {
			t.Errorf("Escape(%q) = %q does not match %q", name, Escape(name), name)
		}
		g := mustParse(t, Escape(name)+"\n")
		if !g.Excluded(name) {
			t.Errorf("Escape(%q) = %q as an exclusion does not match it", name, Escape(name))
		}
		for _, other := range []string{"axb", "x", "ab", "a", "b"} {
			if other != name && g.Excluded(other) {
				t.Errorf("Escape(%q) = %q also matches %q", name, Escape(name), other)
			}
		}
	}
}

// TestGenerateWithCorpusUserFiles crosses the differential corpus (as user
// files) with several kept sets and checks both simulated builders send
// exactly the specified files. User files with wildcard exceptions are left
// out: Generate drops those exceptions by design.
func TestGenerateWithCorpusUserFiles(t *testing.T) {
	root := buildFixture(t)
	keeps := [][]string{
		{"apps/web"},
		{"apps/web", "libs/auth/go.mod", "README.md"},
		{"apps", "we b"},
		{"."},
		{"node_modules/keep", "a/x/b"},
	}
	users := append([]string{
		"*\n!apps/web\n!libs\nlibs/ui\n",
		"**/*.md\n!apps/web/README.md\n",
		"apps\n!apps/web/src\n",
		"!apps/web\napps/web/src\n",
		"README.md\n!README.md\n",
	}, corpus...)
	for _, u := range users {
		user, err := Parse(".dockerignore", []byte(u))
		if err != nil {
			continue
		}
		if slices.ContainsFunc(user.Patterns, func(p Pattern) bool { return p.Exception && !p.Literal() }) {
			continue
		}
		for _, keep := range keeps {
			s := Spec{Keep: keep, User: user, Heavy: []string{"**/.git", "apps/web/node_modules"}}
			out, err := Generate(s)
			if err != nil {
				t.Errorf("user %q, keep %q: %v", u, keep, err)
				continue
			}
			want := wantFiles(t, s)
			pm := dockerMatcher(t, out)
			if got := legacyFiles(t, root, pm); !slices.Equal(got, want) {
				t.Errorf("user %q, keep %q: classic builder sends\n%q\nwant\n%q\nfile:\n%s", u, keep, got, want, out)
			}
			if got := buildkitFiles(t, root, pm); !slices.Equal(got, want) {
				t.Errorf("user %q, keep %q: BuildKit sends\n%q\nwant\n%q\nfile:\n%s", u, keep, got, want, out)
			}
		}
	}
}

func TestGenerateLeavesItselfOutOfTheContext(t *testing.T) {
	for _, tc := range []struct {
		keep     []string
		excluded bool // the last line excludes the file itself
	}{
		{[]string{"."}, true},
		{[]string{"app"}, true},
		{[]string{"app/main.go", "app/Dockerfile.dockerignore"}, false},
		{[]string{"lib"}, false},
	} {
		out, err := Generate(Spec{Keep: tc.keep, Self: "app/Dockerfile.dockerignore"})
		if err != nil {
			t.Fatal(err)
		}
		f := mustParse(t, string(out))
		if !f.Excluded("app/Dockerfile.dockerignore") {
			t.Errorf("keep %q: the file itself is sent:\n%s", tc.keep, out)
		}
		if got := strings.HasSuffix(string(out), "\napp/Dockerfile.dockerignore\n"); got != tc.excluded {
			t.Errorf("keep %q: self-exclusion line = %v, want %v:\n%s", tc.keep, got, tc.excluded, out)
		}
		if strings.Contains(string(out), "!app/Dockerfile.dockerignore") {
			t.Errorf("keep %q: the file itself is kept:\n%s", tc.keep, out)
		}
	}
}
