package ignore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
)

// Pattern is one pattern line of an ignore file.
type Pattern struct {
	// Text is the pattern without its leading "!", cleaned exactly as
	// ignorefile.ReadAll cleans it: surrounding whitespace trimmed,
	// filepath.Clean, forward slashes, one leading "/" removed.
	Text string
	// Exception is true for "!pattern" lines, which re-include what earlier
	// lines excluded (patternmatcher calls these "exclusions"), and for lines
	// that read as one only once cleaned: Docker reads "/!a" as the
	// exception "a".
	Exception bool
	// Line is the 1-based line number in the file.
	Line int

	// read is ignorefile.ReadAll's string when it differs from String's
	// usual form (" !a", read from "x/../ !a", is the exception "a").
	read string
}

// String returns the pattern as ignorefile.ReadAll returns it: Text, with a
// leading "!" for exceptions.
func (p Pattern) String() string {
	if p.read != "" {
		return p.read
	}
	if p.Exception {
		return "!" + p.Text
	}
	return p.Text
}

// Literal reports whether the pattern has no character that any Docker
// matcher may read as more than itself, so that it matches exactly the path
// Text and everything below it in every Docker version: no wildcard, escape
// or class ("*", "?", "[", "]", "\"), and none of "^()|+{}", which Docker
// 20.10 passes raw into a regular expression (`a+b` matches "aab" there).
func (p Pattern) Literal() bool {
	return !strings.ContainsAny(p.Text, metaChars)
}

// metaChars are the characters that can give a pattern more than its
// literal meaning in some Docker matcher: wildcards, classes and the escape
// (patternmatcher; BuildKit's fsutil uses "*?[]\^" to decide whether it
// may prune directories), and the regular-expression operators Docker
// 20.10's pkg/fileutils leaves unescaped ("^()|+{}"; it escapes only "."
// and "$", patternmatcher since v0.5 ".+()|{}$").
const metaChars = `*?[]\^()|+{}`

// File is a parsed ignore file. A nil *File excludes nothing. A File is safe
// for concurrent use.
type File struct {
	// Name names the file in messages, e.g. "apps/web/Dockerfile.dockerignore".
	Name string
	// Patterns are the pattern lines in file order. Do not modify them.
	Patterns []Pattern

	matchers []matcher // one per pattern
}

// matcher evaluates one pattern through patternmatcher. Each matcher holds a
// compiled single-pattern PatternMatcher; patternmatcher compiles patterns
// lazily, so Parse evaluates every matcher once, after which matching only
// reads and is safe for concurrent use.
type matcher struct {
	pm        *patternmatcher.PatternMatcher
	exception bool
}

func newMatcher(p Pattern) (matcher, error) {
	// Give patternmatcher.New exactly the string ignorefile.ReadAll would
	// give it, so every quirk of New (its own TrimSpace and Clean) applies.
	// An exception is compiled as {"**", "!text"}: "**" matches every path,
	// so the result is the negation of whether text matches.
	list := []string{p.String()}
	if p.Exception {
		list = []string{"**", p.String()}
	}
	pm, err := patternmatcher.New(list)
	if err != nil {
		return matcher{}, err
	}
	// Force compilation now: errors surface here, and later calls are
	// read-only.
	if _, err := pm.MatchesOrParentMatches("a"); err != nil {
		return matcher{}, err
	}
	return matcher{pm: pm, exception: p.Exception}, nil
}

// matches reports whether the pattern matches rel or any parent directory.
func (m matcher) matches(rel string) bool {
	ok, err := m.pm.MatchesOrParentMatches(rel)
	if err != nil { // impossible: compiled in newMatcher
		return false
	}
	return ok != m.exception
}

// matchesExactly reports whether the pattern matches rel itself, ignoring
// its parent directories. For a single pattern, the deprecated
// MatchesUsingParentResult with parentMatched=false is exactly that; its
// known bug concerns lists of several patterns.
func (m matcher) matchesExactly(rel string) bool {
	ok, err := m.pm.MatchesUsingParentResult(rel, false) //nolint:staticcheck // see above
	if err != nil {
		return false
	}
	return ok != m.exception
}

// ParseError reports an invalid pattern, with its position.
type ParseError struct {
	Name    string // file name, as given to Parse
	Line    int    // 1-based
	Pattern string // the pattern as ignorefile.ReadAll returns it
	Err     error
}

func (e *ParseError) Error() string {
	if e.Pattern == "!" {
		// patternmatcher's message already quotes the pattern.
		return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: invalid pattern %q: %v", e.Name, e.Line, e.Pattern, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

const utf8BOM = "\xEF\xBB\xBF"

// Parse parses the contents of an ignore file. name is used in messages.
//
// The patterns are those of ignorefile.ReadAll, in the same order and with
// the same text; Parse also records their line numbers and rejects what
// Docker rejects when it builds its matcher (a bare "!", a malformed
// character class) with a *ParseError such as
//
//	apps/web/Dockerfile.dockerignore:3: illegal exclusion pattern: "!"
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name}
	// This loop follows ignorefile.ReadAll line by line; the differential
	// tests hold the two together.
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		b := sc.Bytes()
		if line == 0 {
			b = bytes.TrimPrefix(b, []byte(utf8BOM))
		}
		line++
		text := string(b)
		if strings.HasPrefix(text, "#") { // a comment only in column 1
			continue
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		exception := text[0] == '!'
		if exception {
			text = strings.TrimSpace(text[1:])
		}
		if text != "" {
			text = filepath.ToSlash(filepath.Clean(text))
			if len(text) > 1 && text[0] == '/' {
				text = text[1:]
			}
		}
		read := ""
		if !exception && text != "" {
			// patternmatcher.New trims and cleans what ReadAll returns once more and only then
			// reads a leading "!": "/!a" and "/ !a" are the exception "a" for Docker.
			if s := filepath.ToSlash(filepath.Clean(strings.TrimSpace(text))); strings.HasPrefix(s, "!") {
				exception, read, text = true, text, s[1:]
				if read == "!"+text {
					read = ""
				}
			}
		}
		p := Pattern{Text: text, Exception: exception, Line: line, read: read}
		m, err := newMatcher(p)
		if err != nil {
			return nil, &ParseError{Name: name, Line: line, Pattern: p.String(), Err: err}
		}
		f.Patterns = append(f.Patterns, p)
		f.matchers = append(f.matchers, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s after line %d: %w", name, line, err)
	}
	return f, nil
}

// ReadFile reads and parses the ignore file at path (an OS path). name is
// used in messages; when empty, path is used. A missing file gives an error
// that wraps fs.ErrNotExist.
func ReadFile(path, name string) (*File, error) {
	if name == "" {
		name = path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ignore file %s: %w", name, err)
	}
	return Parse(name, data)
}

// clean turns a context-relative slash path into the form Docker's walkers
// match: cleaned, "." for the root.
func clean(rel string) string {
	return path.Clean(rel)
}

// Excluded reports whether Docker excludes the context-relative slash path
// rel from the build context, as patternmatcher's MatchesOrParentMatches
// does for a path in the walk: the last pattern that matches rel or one of
// its parent directories decides. The context root "." is never excluded.
func (f *File) Excluded(rel string) bool {
	excluded, _ := f.Decide(rel)
	return excluded
}

// Decide is Excluded that also returns the pattern that decided: the last
// pattern matching rel or one of its parents. by is nil when no pattern
// matches (rel is then included); otherwise it points into f.Patterns and
// excluded is !by.Exception. Format the position as
// fmt.Sprintf("%s:%d", f.Name, by.Line).
func (f *File) Decide(rel string) (excluded bool, by *Pattern) {
	if f == nil {
		return false, nil
	}
	i := f.decider(clean(rel))
	if i < 0 {
		return false, nil
	}
	return !f.Patterns[i].Exception, &f.Patterns[i]
}

// decider returns the index of the last pattern matching rel or one of its
// parents, or -1. Evaluating only that pattern's polarity gives the same
// result as patternmatcher's loop, which skips patterns that cannot change
// the outcome.
func (f *File) decider(rel string) int {
	if rel == "." {
		return -1
	}
	for i := len(f.matchers) - 1; i >= 0; i-- {
		if f.matchers[i].matches(rel) {
			return i
		}
	}
	return -1
}

// MatchInfo carries a directory's match results to its children during a
// walk, like patternmatcher.MatchInfo. The zero MatchInfo means "nothing
// known": the child is then evaluated in full, parents included.
type MatchInfo struct {
	// matched[i] reports whether pattern i matches the directory or one of
	// its parents.
	matched []bool
}

// ExcludedUsingParent is Excluded for a walker that visits a directory
// before its children: pass the MatchInfo returned for rel's parent
// directory (the zero MatchInfo for children of the root) and keep the
// returned MatchInfo if rel is a directory. The result equals Excluded(rel);
// only the parent's patterns are not evaluated again.
func (f *File) ExcludedUsingParent(rel string, parent MatchInfo) (excluded bool, info MatchInfo) {
	if f == nil || len(f.matchers) == 0 {
		return false, MatchInfo{}
	}
	rel = clean(rel)
	if rel == "." {
		return false, MatchInfo{matched: make([]bool, len(f.matchers))}
	}
	known := len(parent.matched) == len(f.matchers)
	info.matched = make([]bool, len(f.matchers))
	last := -1
	for i, m := range f.matchers {
		var ok bool
		if known {
			ok = parent.matched[i] || m.matchesExactly(rel)
		} else {
			ok = m.matches(rel)
		}
		info.matched[i] = ok
		if ok {
			last = i
		}
	}
	return last >= 0 && !f.Patterns[last].Exception, info
}

// CanSkipDir reports whether a walker may skip the directory rel without
// visiting anything below it: rel is excluded and no exception can
// re-include a path below it.
//
// The rule refines the prefix rule of the classic builder and of BuildKit's
// fsutil: only exceptions after the pattern that excluded rel can re-include
// something below it; a literal exception ("!apps/web") can only if its
// text is rel or lies below or above it; a wildcard exception can only if
// the literal directories before its first wildcard are such a path (and
// always when it starts with a wildcard, as "!**/keep" does). CanSkipDir
// never skips a directory that holds a path Excluded reports as included.
func (f *File) CanSkipDir(rel string) bool {
	if f == nil {
		return false
	}
	rel = clean(rel)
	i := f.decider(rel)
	if i < 0 || f.Patterns[i].Exception {
		return false
	}
	for _, p := range f.Patterns[i+1:] {
		if !p.Exception {
			continue
		}
		prefix := literalPrefix(p.Text)
		if prefix == "" || related(prefix, rel) {
			return false
		}
	}
	return true
}

// literalPrefix returns the leading path segments of a pattern that contain
// no wildcard or escape character; every path the pattern matches lies at
// or below them. It returns "" when the first segment has one.
func literalPrefix(text string) string {
	segs := strings.Split(text, "/")
	n := 0
	for n < len(segs) && !strings.ContainsAny(segs[n], metaChars) {
		n++
	}
	return strings.Join(segs[:n], "/")
}

// related reports whether a equals b or one lies below the other.
func related(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}
