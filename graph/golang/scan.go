package golang

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/monoctx/monoctx/graph/cache"
)

// ParseError is a syntax error in the import section (or the //go:embed
// directives) of a Go file.
type ParseError struct {
	Path      string // repository-relative file path
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// dirEntry is a cache slot for one scanned directory; done is closed when
// info or err is set.
type dirEntry struct {
	done chan struct{}
	info *dirInfo
	err  error
	// canceled is set when the reader's own context ended the read: the entry
	// is dropped from the cache and says nothing about the directory.
	canceled bool
}

// dirInfo is what one package directory contributes to a closure.
type dirInfo struct {
	files   []string // repo-relative files directly in the directory, sorted
	imports []string // import paths, sorted, unique
	embeds  []string // repo-relative files matched by //go:embed, sorted
}

// scanDir returns the non-test view of the directory dir, from the cache or
// by reading it.
func (a *Analyzer) scanDir(ctx context.Context, dir string) (*dirInfo, error) {
	for {
		a.mu.Lock()
		e, ok := a.dirs[dir]
		if !ok {
			e = &dirEntry{done: make(chan struct{})}
			a.dirs[dir] = e
		}
		a.mu.Unlock()
		if ok {
			select {
			case <-e.done:
				if e.canceled {
					// Another closure, which failed elsewhere, gave up on this
					// directory: read it for this one.
					continue
				}
				return e.info, e.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		e.info, e.err = a.readDir(ctx, dir, false)
		if e.err != nil && ctx.Err() != nil {
			// Do not cache a cancellation.
			e.canceled = true
			a.mu.Lock()
			delete(a.dirs, dir)
			a.mu.Unlock()
		}
		close(e.done)
		return e.info, e.err
	}
}

// scanTests returns the _test.go files of dir, their imports and embeds, and
// the testdata directory's files. It is not cached.
func (a *Analyzer) scanTests(ctx context.Context, dir string) (*dirInfo, error) {
	info, err := a.readDir(ctx, dir, true)
	if err != nil {
		return nil, err
	}
	td := join(dir, "testdata")
	if a.stat(td).isDir {
		files, err := walkAll(a.fs, a.abs(td), td)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", td, err)
		}
		info.files = mergeSorted(info.files, files)
	}
	return info, nil
}

// readDir reads the directory dir. With tests false it returns every regular
// file except _test.go files, and parses the .go files the go command would
// consider (not starting with "." or "_"); with tests true it returns and
// parses only the _test.go files.
func (a *Analyzer) readDir(ctx context.Context, dir string, tests bool) (*dirInfo, error) {
	if err := a.acquire(ctx); err != nil {
		return nil, err
	}
	defer a.release()
	abs := a.abs(dir)
	ents, err := a.fs.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("reading package directory %s: %w", dir, err)
	}
	info := &dirInfo{}
	imports := map[string]bool{}
	var patterns []string
	for _, de := range ents {
		name := de.Name()
		if de.IsDir() {
			continue
		}
		if !de.Type().IsRegular() {
			// A symbolic link or something stranger: keep links to files.
			fi, err := a.fs.Stat(abs + string(os.PathSeparator) + name)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
		}
		isTest := strings.HasSuffix(name, "_test.go")
		if isTest != tests {
			continue
		}
		rel := join(dir, name)
		info.files = append(info.files, rel)
		if !strings.HasSuffix(name, ".go") || name[0] == '.' || name[0] == '_' {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		imps, embeds, err := a.parseFile(abs+string(os.PathSeparator)+name, rel)
		if err != nil {
			return nil, err
		}
		for _, imp := range imps {
			imports[imp] = true
		}
		patterns = append(patterns, embeds...)
	}
	sort.Strings(info.files)
	info.imports = sortedKeys(imports)
	if len(patterns) > 0 {
		embedded := map[string]bool{}
		for _, p := range patterns {
			files, err := resolveEmbed(a.fs, abs, dir, p)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				embedded[f] = true
			}
		}
		info.embeds = sortedKeys(embedded)
	}
	return info, nil
}

// goFileKind is the cache kind of parseGoSource's result.
const goFileKind cache.Kind = "go-file/1"

// parseFile is parseGoFile through the analyzer's cache, keyed by the file's blob id: a hit reads
// nothing when the blob id is known, and never parses.
func (a *Analyzer) parseFile(abs, rel string) (imports, embeds []string, err error) {
	c := a.cfg.cache
	if c == nil {
		return parseGoFile(a.fs, abs, rel)
	}
	if a.rec != nil {
		a.rec.add(obsRead, abs, 0) // the blob id may come from git's index, without a read
	}
	blobs := a.cfg.blobs
	if filepath.IsAbs(rel) {
		blobs = nil // a module cache file: not in the repository
	}
	id, src, err := c.ID(blobs, rel, func() ([]byte, error) { return readGoFile(a.fs, abs, rel) })
	if err != nil {
		return nil, nil, err
	}
	if v, ok := c.Get(goFileKind, id, ""); ok {
		d := cache.NewDecoder(v)
		imports, embeds = d.Strings(), d.Strings()
		if d.Err() == nil {
			return imports, embeds, nil
		}
	}
	if src != nil {
		imports, embeds, err = parseGoSource(rel, src)
	} else {
		imports, embeds, err = parseGoFile(a.fs, abs, rel)
	}
	if err != nil {
		return nil, nil, err // not cached: the error names the file
	}
	var e cache.Encoder
	e.Strings(imports)
	e.Strings(embeds)
	c.Put(goFileKind, id, "", e.Bytes())
	return imports, embeds, nil
}

// parseGoFile returns the imports of a Go file and, when it imports "embed",
// the patterns of its //go:embed directives. rel names the file in errors.
func parseGoFile(fsys FS, abs, rel string) (imports, embeds []string, err error) {
	h, ok := fsys.(headReader)
	if !ok {
		return parseWholeGoFile(fsys, abs, rel)
	}
	bp := goHeaderBufs.Get().(*[]byte)
	defer goHeaderBufs.Put(bp)
	buf := *bp
	n, err := h.ReadFileHead(abs, buf)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	for {
		whole := n < len(buf)
		if imports, ok := scanImports(buf[:n], whole); ok {
			if !slices.Contains(imports, "embed") {
				return imports, nil, nil
			}
			if whole {
				return parseGoSource(rel, buf[:n])
			}
			return parseWholeGoFile(fsys, abs, rel) // //go:embed directives may be anywhere
		}
		if whole {
			return parseGoSource(rel, buf[:n]) // something unusual: the parser's answer, or its error
		}
		// The imports, or a long comment after them, go past what was read: read four times as
		// much.
		buf = make([]byte, 4*len(buf))
		if n, err = h.ReadFileHead(abs, buf); err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", rel, err)
		}
	}
}

func parseWholeGoFile(fsys FS, abs, rel string) (imports, embeds []string, err error) {
	src, err := readGoFile(fsys, abs, rel)
	if err != nil {
		return nil, nil, err
	}
	return parseGoSource(rel, src)
}

// headReader reads the start of a file into buf; n < len(buf) is the whole file. Reading a Go
// file only as far as its imports left most of a cold run unread: ~130 MB of a large module's
// sources are vendored generated code whose imports are in their first few KB.
type headReader interface {
	ReadFileHead(name string, buf []byte) (n int, err error)
}

// goHeaderRead is the first read of a Go file: most files end within it, and the import sections
// of nearly all others.
const goHeaderRead = 8 << 10

var goHeaderBufs = sync.Pool{New: func() any { b := make([]byte, goHeaderRead); return &b }}

// scanImports returns the import paths of a Go file from the start src of its source, in the
// order go/parser gives them, when src holds the package clause and the whole import section
// (whole: src is the file) in the plain shape nearly every file has; false when it does not: cut
// short, or anything unusual, which go/parser then reads (a syntax error is its message). It
// tokenizes the section once, where parsing built a syntax tree of it.
func scanImports(src []byte, whole bool) ([]string, bool) {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var sc scanner.Scanner
	bad := false
	sc.Init(file, src, func(token.Position, string) { bad = true }, 0)
	var lit string
	next := func() token.Token {
		_, tok, l := sc.Scan()
		if bad {
			return token.ILLEGAL
		}
		lit = l
		return tok
	}
	var imports []string
	// spec reads an import spec from its first token tok, and returns the token after it.
	spec := func(tok token.Token) (token.Token, bool) {
		if tok == token.IDENT || tok == token.PERIOD {
			tok = next()
		}
		if tok != token.STRING {
			return tok, false
		}
		p, ok := plainImportPath(lit)
		if !ok {
			return tok, false
		}
		imports = append(imports, p)
		return next(), true
	}
	if next() != token.PACKAGE || next() != token.IDENT || lit == "_" || next() != token.SEMICOLON {
		return nil, false
	}
	for {
		switch next() {
		case token.FUNC, token.TYPE, token.VAR, token.CONST:
			return imports, true
		case token.EOF:
			return imports, whole
		case token.IMPORT:
		default:
			return nil, false
		}
		tok := next()
		if tok != token.LPAREN {
			tok, ok := spec(tok)
			if !ok || tok != token.SEMICOLON {
				return nil, false
			}
			continue
		}
		for tok = next(); tok != token.RPAREN; {
			var ok bool
			if tok, ok = spec(tok); !ok {
				return nil, false
			}
			switch tok {
			case token.SEMICOLON:
				tok = next()
			case token.RPAREN:
			default:
				return nil, false
			}
		}
		if next() != token.SEMICOLON {
			return nil, false
		}
	}
}

// plainImportPath is the import path of the string literal lit when it is plainly valid: quoted,
// without escapes, of the characters import paths are made of. Anything else is go/parser's to
// judge.
func plainImportPath(lit string) (string, bool) {
	if len(lit) < 3 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", false
	}
	p := lit[1 : len(lit)-1]
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '/' || c == '.' || c == '-' || c == '_' || c == '~' || c == '+' || c == '@':
		default:
			return "", false
		}
	}
	return p, true
}

func readGoFile(fsys FS, abs, rel string) ([]byte, error) {
	src, err := fsys.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	return src, nil
}

// parseGoSource is parseGoFile of the file's content src.
func parseGoSource(rel string, src []byte) (imports, embeds []string, err error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, parseError(rel, err)
	}
	usesEmbed := false
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			pos := fset.Position(spec.Path.Pos())
			return nil, nil, &ParseError{Path: rel, Line: pos.Line, Col: pos.Column, Msg: "invalid import path " + spec.Path.Value}
		}
		imports = append(imports, p)
		if p == "embed" {
			usesEmbed = true
		}
	}
	if usesEmbed && bytes.Contains(src, []byte("//go:embed")) {
		embeds, err = embedPatterns(rel, src)
		if err != nil {
			return nil, nil, err
		}
	}
	return imports, embeds, nil
}

// embedPatterns returns the arguments of the //go:embed directives of a Go
// source file. It reads real comments from a full parse, and falls back to a
// line scan when the body does not parse (a file excluded by build tags need
// not compile).
func embedPatterns(rel string, src []byte) ([]string, error) {
	var lines []string
	f, err := parser.ParseFile(token.NewFileSet(), rel, src, parser.ParseComments|parser.SkipObjectResolution)
	if err == nil {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				lines = append(lines, c.Text)
			}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(src))
		sc.Buffer(make([]byte, 0, 64*1024), len(src)+1)
		for sc.Scan() {
			lines = append(lines, strings.TrimSpace(sc.Text()))
		}
	}
	var out []string
	for _, text := range lines {
		args, ok := strings.CutPrefix(text, "//go:embed")
		if !ok || args == "" || (args[0] != ' ' && args[0] != '\t') {
			continue
		}
		pats, err := parseEmbedArgs(args)
		if err != nil {
			return nil, fmt.Errorf("%s: //go:embed %s: %w", rel, strings.TrimSpace(args), err)
		}
		out = append(out, pats...)
	}
	return out, nil
}

// parseEmbedArgs splits the arguments of a //go:embed directive: space
// separated words, "double-quoted" or `back-quoted` strings.
func parseEmbedArgs(args string) ([]string, error) {
	var out []string
	s := strings.TrimLeftFunc(args, unicode.IsSpace)
	for s != "" {
		var arg string
		switch s[0] {
		case '"', '`':
			q := s[0]
			i := 1
			for ; i < len(s); i++ {
				if q == '"' && s[i] == '\\' {
					i++
					continue
				}
				if s[i] == q {
					break
				}
			}
			if i >= len(s) {
				return nil, errors.New("unterminated quoted string")
			}
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return nil, fmt.Errorf("invalid quoted string %s", s[:i+1])
			}
			arg, s = v, s[i+1:]
		default:
			i := strings.IndexFunc(s, unicode.IsSpace)
			if i < 0 {
				i = len(s)
			}
			arg, s = s[:i], s[i:]
		}
		out = append(out, arg)
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	return out, nil
}

// parseError converts a go/parser error to a *ParseError at the first
// reported position.
func parseError(rel string, err error) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return &ParseError{Path: rel, Line: e.Pos.Line, Col: e.Pos.Column, Msg: e.Msg}
	}
	return fmt.Errorf("parsing %s: %w", rel, err)
}
