package graph

import (
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/monoctx/monoctx/graph/golang"
)

// inputRun is a run of inputs several apps share: one Go closure with the rule that brought it in
// (a main package's imports, thousands of files in a large repository). Apps that build the same
// package from the same Dockerfile line hold one run instead of a copy each, and affected's index
// files each run once (copying and indexing the closures per app was half of a large Go
// repository's run). Its inputs are literal "path" inputs sorted by path, without duplicates, and
// are never modified once the run is built.
type inputRun struct {
	inputs []Input
	gen    *genInputs // instead of inputs: made from a Go closure's files when asked for
}

// genInputs are a run's inputs made when asked for, from a Go closure's files: affected needs
// only their paths and the few inputs that cover a change, and making the 152-byte Input of each
// of a large repository's closure files (80,000 in loki's) with its rule text was a quarter of a
// warm run.
type genInputs struct {
	files   []golang.Input // sorted by path, without repeats
	prefix  string         // of each rule text, before the import chain
	kind    string         // the rule kind of files that are not go.mod, go.sum, go.work or go.work.sum
	where   string
	context bool

	textsOnce sync.Once
	texts     []string // each file's rule text, made once for every app that lists them all
}

// input is the Input of file i with the rule text given.
func (g *genInputs) input(i int, text string) Input {
	f := g.files[i]
	kind := g.kind
	switch path.Base(f.Path) {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		kind = "go-mod"
	}
	return Input{Path: f.Path, Match: "path", Context: g.context, Rule: Rule{Kind: kind, Where: g.where, Text: text}}
}

// text is file i's rule text, joined for the caller.
func (g *genInputs) text(i int) string { return joinWhy(g.prefix, g.files[i].Why) }

// allTexts are every file's rule texts, joined once per chain and kept for the run's other apps.
func (g *genInputs) allTexts() []string {
	g.textsOnce.Do(func() {
		why := whyTexts{prefix: g.prefix}
		g.texts = make([]string, len(g.files))
		for i, f := range g.files {
			g.texts[i] = why.text(f.Why)
		}
	})
	return g.texts
}

// newInputRun makes a run of ins, or returns nil when they cannot be one (a pattern, a path out
// of order or repeated): the caller then copies them into the app as before.
func newInputRun(ins []Input) *inputRun {
	for i := range ins {
		in := &ins[i]
		if in.Match != "path" || !plainPath(in.Path) || len(in.Exclude) > 0 || in.link != "" {
			return nil
		}
		if i > 0 && ins[i-1].Path >= in.Path {
			return nil
		}
	}
	return &inputRun{inputs: ins}
}

// newGenRun is newInputRun of the inputs g makes, without making them.
func newGenRun(g *genInputs) *inputRun {
	for i, f := range g.files {
		if !plainPath(f.Path) || (i > 0 && g.files[i-1].Path >= f.Path) {
			return nil
		}
	}
	return &inputRun{gen: g}
}

// newGenRunUnchecked is the run of g's inputs, for making them (all).
func newGenRunUnchecked(g *genInputs) *inputRun { return &inputRun{gen: g} }

// plainPath reports whether p is a literal path, not a pattern: a byte table, as newGenRun asks
// it of every file of every Go closure (loki: 83k).
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if patternByte[p[i]] {
			return false
		}
	}
	return true
}

var patternByte = [256]bool{'*': true, '?': true, '[': true, '{': true}

// all returns the run's inputs, made afresh for a generated run.
func (r *inputRun) all() []Input {
	if r.gen == nil {
		return r.inputs
	}
	return r.appendTo(make([]Input, 0, r.len()))
}

// appendTo appends the run's inputs to dst.
func (r *inputRun) appendTo(dst []Input) []Input {
	if r.gen == nil {
		return append(dst, r.inputs...)
	}
	texts := r.gen.allTexts()
	for i := range r.gen.files {
		dst = append(dst, r.gen.input(i, texts[i]))
	}
	return dst
}

func (r *inputRun) len() int {
	if r.gen != nil {
		return len(r.gen.files)
	}
	return len(r.inputs)
}

func (r *inputRun) path(i int) string {
	if r.gen != nil {
		return r.gen.files[i].Path
	}
	return r.inputs[i].Path
}

// at is input i: the run's own, or one made for the caller.
func (r *inputRun) at(i int) *Input {
	if r.gen != nil {
		in := r.gen.input(i, r.gen.text(i))
		return &in
	}
	return &r.inputs[i]
}

// find returns the position of the input of path p, or -1.
func (r *inputRun) find(p string) int {
	n := r.len()
	i := sort.Search(n, func(i int) bool { return r.path(i) >= p })
	if i < n && r.path(i) == p {
		return i
	}
	return -1
}

// firstBeneath returns the position of the first input strictly under directory p (the first in
// path order is the first in input order), or -1.
func (r *inputRun) firstBeneath(p string) int {
	prefix := p + "/"
	n := r.len()
	i := sort.Search(n, func(i int) bool { return r.path(i) >= prefix })
	if i < n && strings.HasPrefix(r.path(i), prefix) {
		return i
	}
	return -1
}

// runAt places a run among an app's own inputs: before own input at (after any run placed there
// earlier). A where that is not "" is the Rule.Where of each of the run's inputs in this app: a
// narrowed app's closure says which Dockerfile line copies it, and apps of other lines share it.
type runAt struct {
	at    int
	run   *inputRun
	where string
}

type flatInputs struct {
	once sync.Once
	v    []Input
}

// addRun places r after the app's own inputs so far, with where as its inputs' Rule.Where unless
// it is "".
func (a *App) addRun(r *inputRun, where string) {
	a.runs = append(a.runs, runAt{at: len(a.inputs), run: r, where: where})
	a.flat = &flatInputs{}
}

// setInputs replaces the app's whole input set.
func (a *App) setInputs(ins []Input) {
	a.inputs, a.runs, a.flat = ins, nil, nil
}

// Inputs are the contributions to the app's input set, in a stable order: its own inputs with the
// runs it shares placed among them. The result is shared: callers must not modify it.
func (a *App) Inputs() []Input {
	if len(a.runs) == 0 {
		return a.inputs
	}
	f := a.flat
	f.once.Do(func() {
		f.v = make([]Input, 0, a.numInputs())
		prev := 0
		for _, r := range a.runs {
			f.v = append(f.v, a.inputs[prev:r.at]...)
			n := len(f.v)
			f.v = r.run.appendTo(f.v)
			if r.where != "" {
				for i := n; i < len(f.v); i++ {
					f.v[i].Rule.Where = r.where
				}
			}
			prev = r.at
		}
		f.v = append(f.v, a.inputs[prev:]...)
	})
	return f.v
}

// numInputs is len(a.Inputs()), without building it.
func (a *App) numInputs() int {
	n := len(a.inputs)
	for _, r := range a.runs {
		n += r.run.len()
	}
	return n
}

// inputAt is a.Inputs()[i] without building it, but for its Rule.Where: where, when it is not "",
// replaces the input's (ruleAt applies it). Inputs of runs are shared: never modify them.
func (a *App) inputAt(i int) (in *Input, where string) {
	own, r, j := a.locate(i)
	if r == nil {
		return own, ""
	}
	return r.run.at(j), r.where
}

// inputCovering is inputAt(i) when that input may cover p, else nil: the input of a generated
// run is made only when its path covers p (Explain tests every input of an app).
func (a *App) inputCovering(i int, p string) (in *Input, where string) {
	own, r, j := a.locate(i)
	if r == nil {
		return own, ""
	}
	if r.run.gen != nil {
		if q := r.run.path(j); p != q && !strings.HasPrefix(p, q+"/") {
			return nil, ""
		}
	}
	return r.run.at(j), r.where
}

// locate finds a.Inputs()[i]: an own input, or input j of the run r.
func (a *App) locate(i int) (own *Input, r *runAt, j int) {
	prev := 0
	for k := range a.runs {
		r := &a.runs[k]
		if n := r.at - prev; i < n {
			return &a.inputs[prev+i], nil, 0
		} else {
			i -= n
		}
		prev = r.at
		if i < r.run.len() {
			return nil, r, i
		}
		i -= r.run.len()
	}
	return &a.inputs[prev+i], nil, 0
}

// ruleAt is a.Inputs()[i].Rule.
func (a *App) ruleAt(i int) Rule {
	in, where := a.inputAt(i)
	return in.ruleWhere(where)
}

// ruleWhere is the input's rule, with where as its Where unless that is "".
func (in *Input) ruleWhere(where string) Rule {
	r := in.Rule
	if where != "" {
		r.Where = where
	}
	return r
}

// ownIndex is the position in a.Inputs() of own input j.
func (a *App) ownIndex(j int) int {
	v := j
	for _, r := range a.runs {
		if r.at > j {
			break
		}
		v += r.run.len()
	}
	return v
}

// runIndex is the position in a.Inputs() of the first input of a.runs[k].
func (a *App) runIndex(k int) int {
	v := a.runs[k].at
	for _, r := range a.runs[:k] {
		v += r.run.len()
	}
	return v
}
