package ignore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// reference evaluates data the way Docker does: ignorefile.ReadAll, then
// patternmatcher.New, then MatchesOrParentMatches.
type reference struct {
	patterns []string
	pm       *patternmatcher.PatternMatcher
}

func newReference(t testing.TB, data []byte) (*reference, error) {
	t.Helper()
	pats, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(pats)
	if err != nil {
		return nil, err
	}
	return &reference{patterns: pats, pm: pm}, nil
}

func (r *reference) excluded(t testing.TB, rel string) (bool, error) {
	t.Helper()
	if rel == "." {
		return false, nil
	}
	return r.pm.MatchesOrParentMatches(rel)
}

func mustParse(t testing.TB, data string) *File {
	t.Helper()
	f, err := Parse(".dockerignore", []byte(data))
	if err != nil {
		t.Fatalf("Parse(%q): %v", data, err)
	}
	return f
}

// TestExcludedMatchesDocker holds the cases of the research notes (§2.2,
// §2.5, §7): rows of paths that must be excluded and must be kept, checked
// against our File and against patternmatcher itself.
func TestExcludedMatchesDocker(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		exclude []string
		keep    []string
	}{
		{
			name:    "trailing slash is dropped so a file matches too",
			file:    "foo/\n",
			exclude: []string{"foo", "foo/bar"},
			keep:    []string{"foobar", "a/foo"},
		},
		{
			name:    "trailing slash exception re-includes files too",
			file:    "ignored/*\n!ignored/*/\n",
			exclude: []string{},
			keep:    []string{"ignored/file", "ignored/dir/x"},
		},
		{
			name:    "patterns are anchored at the root",
			file:    "node_modules\n",
			exclude: []string{"node_modules", "node_modules/x/y.js"},
			keep:    []string{"a/node_modules", "a/node_modules/x"},
		},
		{
			name:    "double star prefix matches at any depth",
			file:    "**/node_modules\n",
			exclude: []string{"node_modules", "a/node_modules", "a/b/node_modules/x"},
			keep:    []string{"a/node_modules_x", "xnode_modules"},
		},
		{
			name:    "star md is root level only",
			file:    "*.md\n",
			exclude: []string{"README.md", "x.md"},
			keep:    []string{"docs/x.md", "README.mdx"},
		},
		{
			name:    "double star md is any depth",
			file:    "**.md\n",
			exclude: []string{"README.md", "docs/x.md", "a/b/c.md"},
			keep:    []string{"docs/x.mdx"},
		},
		{
			name:    "double star slash star md is any depth",
			file:    "**/*.md\n",
			exclude: []string{"README.md", "docs/x.md"},
			keep:    []string{"docs/x.txt"},
		},
		{
			name:    "bang in a class is not negation",
			file:    "[!a]bc\n",
			exclude: []string{"abc", "!bc"},
			keep:    []string{"xbc"},
		},
		{
			name:    "caret in a class negates",
			file:    "[^a]bc\n",
			exclude: []string{"xbc"},
			keep:    []string{"abc"},
		},
		{
			name:    "leading space makes a hash a pattern",
			file:    " # x\n",
			exclude: []string{"# x"},
			keep:    []string{"x", " # x"},
		},
		{
			name:    "hash in column one is a comment",
			file:    "#x\n",
			exclude: []string{},
			keep:    []string{"#x", "x"},
		},
		{
			name:    "braces are literal",
			file:    "a{b,c}\n",
			exclude: []string{"a{b,c}"},
			keep:    []string{"ab", "ac"},
		},
		{
			name:    "leading slash is stripped",
			file:    "/foo\n",
			exclude: []string{"foo", "foo/x"},
			keep:    []string{"a/foo"},
		},
		{
			name:    "dot dot is cleaned",
			file:    "./a/../b\n",
			exclude: []string{"b"},
			keep:    []string{"a"},
		},
		{
			name:    "last match wins exception after exclusion",
			file:    "node_modules\n!node_modules/keep\n",
			exclude: []string{"node_modules", "node_modules/other"},
			keep:    []string{"node_modules/keep", "node_modules/keep/x/y"},
		},
		{
			name:    "last match wins exclusion after exception",
			file:    "!apps/web\napps\n",
			exclude: []string{"apps", "apps/web", "apps/web/x"},
			keep:    []string{"libs"},
		},
		{
			name:    "parent matching",
			file:    "a/b\n",
			exclude: []string{"a/b/c/d"},
			keep:    []string{"a", "a/bc"},
		},
		{
			name:    "double star suffix does not match the directory itself",
			file:    "foo/**\n",
			exclude: []string{"foo/x", "foo/x/y"},
			keep:    []string{"foo", "foox"},
		},
		{
			name:    "double star middle",
			file:    "a/**/b\n",
			exclude: []string{"a/b", "a/x/b", "a/x/y/b/z"},
			keep:    []string{"a/xb", "b"},
		},
		{
			name:    "double star both ends does not match the bare name",
			file:    "**/node_modules/**\n",
			exclude: []string{"node_modules/x", "a/node_modules/x"},
			keep:    []string{"node_modules", "a/node_modules"},
		},
		{
			name:    "question mark is one non-slash character",
			file:    "a?c\n",
			exclude: []string{"abc", "a.c"},
			keep:    []string{"a/c", "ac"},
		},
		{
			name:    "backslash escapes",
			file:    "a\\*b\n",
			exclude: []string{"a*b"},
			keep:    []string{"axb"},
		},
		{
			name:    "matching is case sensitive",
			file:    "Foo\n",
			exclude: []string{"Foo"},
			keep:    []string{"foo", "FOO"},
		},
		{
			name:    "dot never excludes the root",
			file:    ".\n",
			exclude: []string{},
			keep:    []string{".", "a", "a/b"},
		},
		{
			name:    "allowlist with double star",
			file:    "*\n!apps/web/**\n",
			exclude: []string{"apps", "apps/web", "libs/x", "Dockerfile"},
			keep:    []string{"apps/web/x", "apps/web/src/y"},
		},
		{
			name:    "parent exception then child exclusion",
			file:    "*\n!data\ndata/file1\n",
			exclude: []string{"data/file1", "other"},
			keep:    []string{"data", "data/file2"},
		},
		{
			name:    "BOM and CRLF",
			file:    "\xEF\xBB\xBFsecret\r\n!secret/ok\r\n",
			exclude: []string{"secret", "secret/x"},
			keep:    []string{"secret/ok"},
		},
		{
			name:    "excluding the build files",
			file:    "Dockerfile\n.dockerignore\n",
			exclude: []string{"Dockerfile", ".dockerignore"},
			keep:    []string{"apps/Dockerfile"},
		},
		{
			name:    "exception with spaces after the bang",
			file:    "*\n!   keep  \n",
			exclude: []string{"other"},
			keep:    []string{"keep", "keep/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.file)
			ref, err := newReference(t, []byte(tt.file))
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			check := func(rel string, want bool) {
				t.Helper()
				if got := f.Excluded(rel); got != want {
					t.Errorf("Excluded(%q) = %v, want %v", rel, got, want)
				}
				got, err := ref.excluded(t, rel)
				if err != nil {
					t.Fatalf("reference(%q): %v", rel, err)
				}
				if got != want {
					t.Errorf("patternmatcher says %q excluded = %v, want %v (test row is wrong)", rel, got, want)
				}
			}
			for _, rel := range tt.exclude {
				check(rel, true)
			}
			for _, rel := range tt.keep {
				check(rel, false)
			}
		})
	}
}

func TestParseRejectsWhatDockerRejects(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantErr string
		line    int
	}{
		{"bare bang", "a\n\n!\n", `x/.dockerignore:3: illegal exclusion pattern: "!"`, 3},
		{"bang and spaces", "# c\n!   \n", `x/.dockerignore:2: illegal exclusion pattern: "!"`, 2},
		{"bang slash cleans to bare bang", "!/\n", `x/.dockerignore:1: invalid pattern "!/": illegal exclusion pattern: "!"`, 1},
		{"unclosed class", "ok\n[\n", `x/.dockerignore:2: invalid pattern "[": syntax error in pattern`, 2},
		{"unclosed class in exception", "*\n!a[b\n", `x/.dockerignore:2: invalid pattern "!a[b": syntax error in pattern`, 2},
		{"trailing backslash", "a\\\n", `x/.dockerignore:1: invalid pattern "a\\": syntax error in pattern`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x/.dockerignore", []byte(tt.file))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("got %q, want %q", err.Error(), tt.wantErr)
			}
			var pe *ParseError
			if !asParseError(err, &pe) || pe.Line != tt.line {
				t.Errorf("got %#v, want a *ParseError at line %d", err, tt.line)
			}
			if _, refErr := newReference(t, []byte(tt.file)); refErr == nil {
				t.Errorf("patternmatcher accepts %q; our rejection is stricter than Docker", tt.file)
			}
		})
	}
}

func asParseError(err error, target **ParseError) bool {
	pe, ok := err.(*ParseError)
	if ok {
		*target = pe
	}
	return ok
}

func TestParseKeepsLinesAndText(t *testing.T) {
	data := "\xEF\xBB\xBF# header\n\n  node_modules/  \n!apps/web\n/abs/./x/../y\n #notcomment\n!  spaced \n"
	f := mustParse(t, data)
	want := []Pattern{
		{Text: "node_modules", Line: 3},
		{Text: "apps/web", Exception: true, Line: 4},
		{Text: "abs/y", Line: 5},
		{Text: "#notcomment", Line: 6},
		{Text: "spaced", Exception: true, Line: 7},
	}
	if len(f.Patterns) != len(want) {
		t.Fatalf("got %d patterns %v, want %d", len(f.Patterns), f.Patterns, len(want))
	}
	for i := range want {
		if f.Patterns[i] != want[i] {
			t.Errorf("pattern %d: got %+v, want %+v", i, f.Patterns[i], want[i])
		}
	}
}

func TestDecideNamesTheLastMatchingLine(t *testing.T) {
	f, err := Parse("apps/web/Dockerfile.dockerignore", []byte("*\n!apps\napps/*\n!apps/web\n**/node_modules\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rel      string
		excluded bool
		line     int // 0: no pattern
	}{
		{".", false, 0},
		{"README.md", true, 1},
		{"apps", false, 2},
		{"apps/api/x", true, 3},
		{"apps/web/src/main.go", false, 4},
		{"apps/web/node_modules/react/index.js", true, 5},
	}
	for _, tt := range tests {
		excluded, by := f.Decide(tt.rel)
		line := 0
		if by != nil {
			line = by.Line
		}
		if excluded != tt.excluded || line != tt.line {
			t.Errorf("Decide(%q) = %v by line %d, want %v by line %d", tt.rel, excluded, line, tt.excluded, tt.line)
		}
	}
}

func TestNilFileExcludesNothing(t *testing.T) {
	var f *File
	if f.Excluded("a") || f.CanSkipDir("a") {
		t.Error("nil *File excluded or skipped a path")
	}
	if ex, info := f.ExcludedUsingParent("a", MatchInfo{}); ex || info.matched != nil {
		t.Error("nil *File excluded a path in a walk")
	}
}

func TestPatternLiteral(t *testing.T) {
	for text, want := range map[string]bool{
		"apps/web": true, "a.b$c": true, "a{b,c}": false, "a.b+c": false, "(x)": false, "a|b": false,
		"*": false, "a/*": false, "a?": false, "[ab]": false, `a\*`: false, "a^b": false,
	} {
		if got := (Pattern{Text: text}).Literal(); got != want {
			t.Errorf("Pattern{Text: %q}.Literal() = %v, want %v", text, got, want)
		}
	}
}

// corpus is a set of ignore files used by the differential tests.
var corpus = []string{
	"",
	"*\n",
	"**\n",
	"*\n!apps\napps/*\n!apps/web\n",
	"node_modules\n!node_modules/keep\n",
	"node_modules\n!**/keep\n",
	"*\n!apps/web/**\n",
	"apps/api/**\n",
	"**/node_modules\n**/.git\n*.md\n!README.md\n",
	"foo/\nignored/*\n!ignored/*/\n",
	"[!a]bc\n # x\n#x\n{a,b}\n/foo\n",
	"a/**/b\n!a/x/b\n",
	"**.md\n!docs/**\n",
	"*/*\n!*/keep\n",
	"a\\*b\n?x\n[a-c]/d\n",
	"!a\na\n!a/b\n",
	"\xEF\xBB\xBF# c\r\nsecret\r\n!secret/ok\r\n",
	"x/../ /y/..\n",
	"a/../ b\n!a/../ c\n",
	"b /x/..\n",
	"!!bang\n!bang\n",
	"^a/*\n",
	".\n..\n../x\n",
	"*/\n!a/\n",
	"**/*.go\n!cmd/**/*.go\n",
}

var corpusPaths = []string{
	".", "a", "b", "c", "x", "a/b", "a/x/b", "a/x/b/c", "a/xb", "abc", "xbc", "!bc", "# x", "#x",
	"{a,b}", "foo", "foo/bar", "ignored", "ignored/f", "ignored/d/x", "apps", "apps/web", "apps/web/x",
	"apps/api", "apps/api/x", "node_modules", "node_modules/keep", "node_modules/keep/k.js",
	"node_modules/other", "x/node_modules/keep", "README.md", "docs/x.md", "docs", "a*b", "axb",
	"zx", "a/d", "c/d", " b", "b ", " c", "bang", "!bang", "^a/x", "a/x", "secret", "secret/ok",
	"cmd/x/y.go", "main.go", "pkg/a.go", "x/keep", "x/keep/y", "y",
}

// TestParseMatchesReadAll is the differential test against ignorefile and
// patternmatcher on the corpus.
func TestParseMatchesReadAll(t *testing.T) {
	for _, data := range corpus {
		compareWithReference(t, []byte(data), corpusPaths)
	}
}

// compareWithReference checks Parse against ReadAll + New, and Excluded,
// ExcludedUsingParent and CanSkipDir against MatchesOrParentMatches.
func compareWithReference(t *testing.T, data []byte, paths []string) {
	t.Helper()
	f, err := Parse("f", data)
	ref, refErr := newReference(t, data)
	if refErr != nil {
		if err == nil {
			t.Errorf("%q: Docker rejects it (%v), Parse accepts it", data, refErr)
		}
		return
	}
	if err != nil {
		// Parse may reject a pattern patternmatcher.New accepts only if
		// Docker fails when it first evaluates that pattern.
		for _, p := range ref.patterns {
			one := []string{p}
			if strings.HasPrefix(p, "!") {
				one = []string{"**", p}
			}
			if pm, err := patternmatcher.New(one); err == nil {
				if _, err := pm.MatchesOrParentMatches("a"); err != nil {
					return
				}
			}
		}
		t.Errorf("%q: Parse rejects it (%v), Docker accepts it", data, err)
		return
	}
	var got []string
	for _, p := range f.Patterns {
		got = append(got, p.String())
	}
	if strings.Join(got, "\x00") != strings.Join(ref.patterns, "\x00") {
		t.Errorf("%q: got patterns %q, want %q", data, got, ref.patterns)
	}
	for _, rel := range paths {
		want, err := ref.excluded(t, rel)
		if err != nil {
			t.Fatalf("%q: reference(%q): %v", data, rel, err)
		}
		if got := f.Excluded(rel); got != want {
			t.Errorf("%q: Excluded(%q) = %v, want %v", data, rel, got, want)
		}
		if got := walkExcluded(f, rel); got != want {
			t.Errorf("%q: ExcludedUsingParent walk to %q = %v, want %v", data, rel, got, want)
		}
	}
	checkCanSkipDirIsSound(t, f, data, paths)
}

// walkExcluded evaluates rel by walking from the root with
// ExcludedUsingParent, as a walker would.
func walkExcluded(f *File, rel string) bool {
	if rel == "." {
		ex, _ := f.ExcludedUsingParent(rel, MatchInfo{})
		return ex
	}
	var info MatchInfo
	var ex bool
	segs := strings.Split(rel, "/")
	for i := range segs {
		ex, info = f.ExcludedUsingParent(strings.Join(segs[:i+1], "/"), info)
	}
	return ex
}

// checkCanSkipDirIsSound: when CanSkipDir(d), no path below d is included.
func checkCanSkipDirIsSound(t *testing.T, f *File, data []byte, paths []string) {
	t.Helper()
	for _, d := range paths {
		if !f.CanSkipDir(d) {
			continue
		}
		if !f.Excluded(d) {
			t.Errorf("%q: CanSkipDir(%q) but it is included", data, d)
		}
		for _, p := range paths {
			if strings.HasPrefix(p, d+"/") && !f.Excluded(p) {
				t.Errorf("%q: CanSkipDir(%q) but %q below it is included", data, d, p)
			}
		}
	}
}

func TestCanSkipDir(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		skip   []string
		noSkip []string
	}{
		{"no exceptions", "node_modules\n", []string{"node_modules", "node_modules/x"}, []string{"src", "."}},
		{"literal exception below", "node_modules\n!node_modules/keep\n", []string{"node_modules/other"}, []string{"node_modules", "node_modules/keep"}},
		{"wildcard exception", "node_modules\n!**/keep\n", nil, []string{"node_modules", "node_modules/x"}},
		{"wildcard after a literal prefix", "vendor\n!vendor/*/LICENSE\nbuild\n", []string{"build"}, []string{"vendor", "vendor/x"}},
		{"allowlist", "*\n!apps\napps/*\n!apps/web\n", []string{"libs", "apps/api", "README.md"}, []string{"apps", "apps/web"}},
		{"exception before the deciding exclusion", "!apps/web\napps\n", []string{"apps", "apps/web"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.file)
			for _, d := range tt.skip {
				if !f.CanSkipDir(d) {
					t.Errorf("CanSkipDir(%q) = false, want true", d)
				}
			}
			for _, d := range tt.noSkip {
				if f.CanSkipDir(d) {
					t.Errorf("CanSkipDir(%q) = true, want false", d)
				}
			}
		})
	}
}

// Docker cleans "/!a" to "!a" and reads that as an exception; so does Parse.
func TestParseReadsSlashBangAsAnException(t *testing.T) {
	for data, want := range map[string]Pattern{
		"a\n/!a\n":  {Text: "a", Exception: true, Line: 2},
		"a\n/ !a\n": {Text: "a", Exception: true, Line: 2},
		"a\n/! a\n": {Text: " a", Exception: true, Line: 2},
		"a\n!/!a\n": {Text: "!a", Exception: true, Line: 2},
	} {
		f := mustParse(t, data)
		if got := f.Patterns[1]; got.Text != want.Text || got.Exception != want.Exception || got.Line != want.Line {
			t.Errorf("%q: got %+v, want %+v", data, got, want)
		}
	}
	f := mustParse(t, "a\n/!a\n")
	if ex, by := f.Decide("a/x"); ex || by == nil || by.Line != 2 {
		t.Errorf("a/x: excluded %v by %v, want included by line 2", ex, by)
	}
}
