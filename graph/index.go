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
}

type appInput struct {
	app, in int
}

func (g *Graph) inputIndex() *inputIndex {
	g.indexOnce.Do(func() {
		ix := &inputIndex{byPrefix: map[string][]appInput{}}
		for ai, a := range g.Apps {
			for ii := range a.Inputs {
				in := &a.Inputs[ii]
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
func (ix *inputIndex) candidates(p string) map[int][]int {
	out := map[int][]int{}
	add := func(l []appInput) {
		for _, x := range l {
			out[x.app] = append(out[x.app], x.in)
		}
	}
	for a := p; ; a = path.Dir(a) {
		add(ix.byPrefix[a])
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
func (ix *inputIndex) beneath(p string) map[int]int {
	if p == "." {
		return nil // the root holds every input; a change is never the root itself
	}
	prefix := p + "/"
	out := map[int]int{}
	for i := sort.SearchStrings(ix.keys, prefix); i < len(ix.keys) && strings.HasPrefix(ix.keys[i], prefix); i++ {
		for _, x := range ix.byPrefix[ix.keys[i]] {
			if in, ok := out[x.app]; !ok || x.in < in {
				out[x.app] = x.in
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
