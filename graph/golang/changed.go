package golang

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"reflect"
	"strings"

	"golang.org/x/mod/modfile"
)

// ChangedModules compares a module's go.mod and go.sum at a base and a head
// revision and returns the paths of the modules whose requirement, exclusion,
// replacement or checksum lines differ, sorted. A nil go.sum stands for a
// missing file.
//
// decided is false when the change cannot be narrowed to modules: a go.mod
// that is missing on one side, a changed module path, go or toolchain
// directive, or godebug setting (they change how every package builds). The
// caller then treats every Go app of the module as affected. err is non-nil,
// and decided false, when one of the files does not parse; the error says
// which and where.
//
// Without pruned module graphs (go < 1.17) a requirement change can move a
// module that go.mod does not list; its go.sum lines change with it, so the
// go.sum comparison reports it.
func ChangedModules(oldGoMod, newGoMod, oldGoSum, newGoSum []byte) (changed []string, decided bool, err error) {
	if oldGoMod == nil || newGoMod == nil {
		return nil, false, nil
	}
	oldF, err := modfile.Parse("go.mod (base)", oldGoMod, nil)
	if err != nil {
		return nil, false, fmt.Errorf("parsing base go.mod: %w", err)
	}
	newF, err := modfile.Parse("go.mod (head)", newGoMod, nil)
	if err != nil {
		return nil, false, fmt.Errorf("parsing head go.mod: %w", err)
	}
	oldSum, err := parseGoSum("go.sum (base)", oldGoSum)
	if err != nil {
		return nil, false, err
	}
	newSum, err := parseGoSum("go.sum (head)", newGoSum)
	if err != nil {
		return nil, false, err
	}
	if modulePath(oldF) != modulePath(newF) || goVersionOf(oldF) != goVersionOf(newF) ||
		toolchainOf(oldF) != toolchainOf(newF) || !reflect.DeepEqual(godebugs(oldF), godebugs(newF)) {
		return nil, false, nil
	}

	set := map[string]bool{}
	diffKeys(set, requires(oldF), requires(newF))
	diffKeys(set, replaces(oldF), replaces(newF))
	diffKeys(set, excludes(oldF), excludes(newF))
	diffKeys(set, oldSum, newSum)
	return sortedKeys(set), true, nil
}

func modulePath(f *modfile.File) string {
	if f.Module == nil {
		return ""
	}
	return f.Module.Mod.Path
}

func toolchainOf(f *modfile.File) string {
	if f.Toolchain == nil {
		return ""
	}
	return f.Toolchain.Name
}

func godebugs(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, g := range f.Godebug {
		m[g.Key] = g.Value
	}
	return m
}

// requires maps "path@" to the required version.
func requires(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, r := range f.Require {
		m[r.Mod.Path+"@"] = r.Mod.Version
	}
	return m
}

// replaces maps "path@version" of a replaced module to its replacement.
func replaces(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, r := range f.Replace {
		m[r.Old.Path+"@"+r.Old.Version] = r.New.Path + " " + r.New.Version
	}
	return m
}

func excludes(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, x := range f.Exclude {
		m[x.Mod.Path+"@"+x.Mod.Version] = ""
	}
	return m
}

// parseGoSum maps "path@version[/go.mod]" to its hash.
func parseGoSum(name string, data []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasPrefix(f[2], "h") {
			return nil, fmt.Errorf("%s:%d: malformed line %q", name, n, line)
		}
		m[f[0]+"@"+f[1]] = f[2]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return m, nil
}

// ChangedWorkModules is ChangedModules for a go.work and its go.work.sum: it
// returns the paths of the modules whose replacements or checksums differ,
// sorted. decided is false when the go.work is missing on one side or its
// use, go, toolchain or godebug directives changed (the set of main modules
// or how everything builds changed); err is non-nil, with decided false,
// when a file does not parse.
func ChangedWorkModules(oldWork, newWork, oldSum, newSum []byte) (changed []string, decided bool, err error) {
	if oldWork == nil || newWork == nil {
		return nil, false, nil
	}
	oldW, err := modfile.ParseWork("go.work (base)", oldWork, nil)
	if err != nil {
		return nil, false, fmt.Errorf("parsing base go.work: %w", err)
	}
	newW, err := modfile.ParseWork("go.work (head)", newWork, nil)
	if err != nil {
		return nil, false, fmt.Errorf("parsing head go.work: %w", err)
	}
	oldSumM, err := parseGoSum("go.work.sum (base)", oldSum)
	if err != nil {
		return nil, false, err
	}
	newSumM, err := parseGoSum("go.work.sum (head)", newSum)
	if err != nil {
		return nil, false, err
	}
	uses := func(w *modfile.WorkFile) map[string]string {
		m := map[string]string{}
		for _, u := range w.Use {
			m[path.Clean(u.Path)] = ""
		}
		return m
	}
	workGo := func(w *modfile.WorkFile) string {
		if w.Go == nil {
			return ""
		}
		return w.Go.Version
	}
	workToolchain := func(w *modfile.WorkFile) string {
		if w.Toolchain == nil {
			return ""
		}
		return w.Toolchain.Name
	}
	workDebug := func(w *modfile.WorkFile) map[string]string {
		m := map[string]string{}
		for _, g := range w.Godebug {
			m[g.Key] = g.Value
		}
		return m
	}
	if !reflect.DeepEqual(uses(oldW), uses(newW)) || workGo(oldW) != workGo(newW) ||
		workToolchain(oldW) != workToolchain(newW) || !reflect.DeepEqual(workDebug(oldW), workDebug(newW)) {
		return nil, false, nil
	}
	set := map[string]bool{}
	diffKeys(set, workReplaces(oldW), workReplaces(newW))
	diffKeys(set, oldSumM, newSumM)
	return sortedKeys(set), true, nil
}

func workReplaces(w *modfile.WorkFile) map[string]string {
	m := map[string]string{}
	for _, r := range w.Replace {
		m[r.Old.Path+"@"+r.Old.Version] = r.New.Path + " " + r.New.Version
	}
	return m
}

// diffKeys adds to set the module path (the part before "@") of every key
// whose value differs between a and b.
func diffKeys(set map[string]bool, a, b map[string]string) {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			set[strings.SplitN(k, "@", 2)[0]] = true
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			set[strings.SplitN(k, "@", 2)[0]] = true
		}
	}
}
