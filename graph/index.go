package graph

import (
	"path"
	"sort"
	"strings"
)

// inputIndex finds, for a changed path, the inputs that can cover it without testing every input of
// every app: literal inputs are filed under their path, patterns under their literal directory, so a
// lookup walks the changed path's ancestors (its depth) instead of apps × inputs.
type inputIndex struct {
	byPrefix map[string][]appInput
	keys     []string   // of byPrefix, sorted: the inputs beneath a path are a range of it
	always   []appInput // patterns with no literal directory: tested for every path
	// runs are the input runs apps share, each searched once whatever the number of its apps
	// (runs hold literal paths, sorted).
	runs []indexedRun
}

// appInput is an input of an app: in is its position in the app's Inputs(); for a run, the
// position of the run's first input.
type appInput struct {
	app, in int
}

type indexedRun struct {
	run  *inputRun
	apps []appInput
}

func (g *Graph) inputIndex() *inputIndex {
	g.indexOnce.Do(func() {
		ix := &inputIndex{byPrefix: map[string][]appInput{}}
		runs := map[*inputRun]int{}
		for ai, a := range g.Apps {
			for j := range a.inputs {
				in := &a.inputs[j]
				ii := a.ownIndex(j)
				key := in.Path
				if in.Match == "glob" || hasGlob(in.Path) || strings.Contains(in.Path, "{") {
					key = literalPrefix(in.Path)
				}
				if key == "" {
					ix.always = append(ix.always, appInput{ai, ii})
					continue
				}
				ix.byPrefix[key] = append(ix.byPrefix[key], appInput{ai, ii})
			}
			for k, r := range a.runs {
				n, ok := runs[r.run]
				if !ok {
					n = len(ix.runs)
					runs[r.run] = n
					ix.runs = append(ix.runs, indexedRun{run: r.run})
				}
				ix.runs[n].apps = append(ix.runs[n].apps, appInput{ai, a.runIndex(k)})
			}
		}
		for k := range ix.byPrefix {
			ix.keys = append(ix.keys, k)
		}
		sort.Strings(ix.keys)
		g.index = ix
	})
	return g.index
}

// candidates returns, per app index, the sorted indices of the inputs that may cover p.
// Apps sel has selected (when not nil) are left out.
func (ix *inputIndex) candidates(p string, sel *selected) map[int][]int {
	out := map[int][]int{}
	add := func(l []appInput) {
		for _, x := range l {
			if !sel.has(x.app) {
				out[x.app] = append(out[x.app], x.in)
			}
		}
	}
	for a := p; ; a = path.Dir(a) {
		add(ix.byPrefix[a])
		for ri, r := range ix.runs {
			if sel.allOf(ri) {
				continue // a long range selects a shared closure's apps early: its search is spared
			}
			if i := r.run.find(a); i >= 0 {
				for _, x := range r.apps {
					if !sel.has(x.app) {
						out[x.app] = append(out[x.app], x.in+i)
					}
				}
			}
		}
		if a == "." || a == "/" || a == "" {
			break
		}
	}
	add(ix.always)
	for k, l := range out {
		sort.Ints(l)
		out[k] = compactInts(l)
	}
	return out
}

// beneath returns, per app index, its first input (in input order) filed strictly under directory
// p. git reports a changed submodule as the one path of its directory, which covers every input
// inside it; a changed path with inputs beneath it is such a directory.
// Apps sel has selected (when not nil) are left out.
func (ix *inputIndex) beneath(p string, sel *selected) map[int]int {
	if p == "." {
		return nil // the root holds every input; a change is never the root itself
	}
	prefix := p + "/"
	out := map[int]int{}
	first := func(x appInput) {
		if sel.has(x.app) {
			return
		}
		if in, ok := out[x.app]; !ok || x.in < in {
			out[x.app] = x.in
		}
	}
	for i := sort.SearchStrings(ix.keys, prefix); i < len(ix.keys) && strings.HasPrefix(ix.keys[i], prefix); i++ {
		for _, x := range ix.byPrefix[ix.keys[i]] {
			first(x)
		}
	}
	for ri, r := range ix.runs {
		if sel.allOf(ri) {
			continue
		}
		if i := r.run.firstBeneath(p); i >= 0 {
			for _, x := range r.apps {
				first(appInput{x.app, x.in + i})
			}
		}
	}
	return out
}

func compactInts(l []int) []int {
	out := l[:0]
	for i, v := range l {
		if i == 0 || v != l[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// selected is the apps affected has selected, by index, and how many apps of each shared run are
// not yet: a run whose apps are all selected is not searched.
type selected struct {
	apps    []bool
	left    []int   // by run: apps not yet selected
	appRuns [][]int // by app: the runs it shares
}

func (ix *inputIndex) newSelected(apps int) *selected {
	s := &selected{apps: make([]bool, apps), left: make([]int, len(ix.runs)), appRuns: make([][]int, apps)}
	for ri, r := range ix.runs {
		seen := map[int]bool{}
		for _, x := range r.apps {
			if !seen[x.app] {
				seen[x.app] = true
				s.left[ri]++
				s.appRuns[x.app] = append(s.appRuns[x.app], ri)
			}
		}
	}
	return s
}

// add marks app selected.
func (s *selected) add(app int) {
	if s == nil || s.apps[app] {
		return
	}
	s.apps[app] = true
	for _, ri := range s.appRuns[app] {
		s.left[ri]--
	}
}

func (s *selected) has(app int) bool { return s != nil && s.apps[app] }

func (s *selected) allOf(run int) bool { return s != nil && s.left[run] == 0 }
