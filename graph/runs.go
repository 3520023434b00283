package graph

import (
	"slices"
	"strings"
	"sync"
)

// inputRun is a run of inputs several apps share: one Go closure with the rule that brought it in
// (a main package's imports, thousands of files in a large repository). Apps that build the same
// package from the same Dockerfile line hold one run instead of a copy each, and affected's index
// files each run once (copying and indexing the closures per app was half of a large Go
// repository's run). Its inputs are literal "path" inputs sorted by path, without duplicates, and
// are never modified once the run is built.
type inputRun struct {
	inputs []Input
}

// newInputRun makes a run of ins, or returns nil when they cannot be one (a pattern, a path out
// of order or repeated): the caller then copies them into the app as before.
func newInputRun(ins []Input) *inputRun {
	for i := range ins {
		in := &ins[i]
		if in.Match != "path" || hasGlob(in.Path) || strings.Contains(in.Path, "{") || len(in.Exclude) > 0 || in.link != "" {
			return nil
		}
		if i > 0 && ins[i-1].Path >= in.Path {
			return nil
		}
	}
	return &inputRun{inputs: ins}
}

// find returns the position of the input of path p, or -1.
func (r *inputRun) find(p string) int {
	i, ok := slices.BinarySearchFunc(r.inputs, p, func(in Input, p string) int { return strings.Compare(in.Path, p) })
	if !ok {
		return -1
	}
	return i
}

// firstBeneath returns the position of the first input strictly under directory p (the first in
// path order is the first in input order), or -1.
func (r *inputRun) firstBeneath(p string) int {
	prefix := p + "/"
	i, _ := slices.BinarySearchFunc(r.inputs, prefix, func(in Input, p string) int { return strings.Compare(in.Path, p) })
	if i < len(r.inputs) && strings.HasPrefix(r.inputs[i].Path, prefix) {
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
			f.v = append(f.v, r.run.inputs...)
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
		n += len(r.run.inputs)
	}
	return n
}

// inputAt is a.Inputs()[i] without building it, but for its Rule.Where: where, when it is not "",
// replaces the input's (ruleAt applies it). Inputs of runs are shared: never modify them.
func (a *App) inputAt(i int) (in *Input, where string) {
	prev := 0
	for _, r := range a.runs {
		if own := r.at - prev; i < own {
			return &a.inputs[prev+i], ""
		} else {
			i -= own
		}
		prev = r.at
		if i < len(r.run.inputs) {
			return &r.run.inputs[i], r.where
		}
		i -= len(r.run.inputs)
	}
	return &a.inputs[prev+i], ""
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
		v += len(r.run.inputs)
	}
	return v
}

// runIndex is the position in a.Inputs() of the first input of a.runs[k].
func (a *App) runIndex(k int) int {
	v := a.runs[k].at
	for _, r := range a.runs[:k] {
		v += len(r.run.inputs)
	}
	return v
}
