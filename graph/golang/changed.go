package golang

import (
	"bufio"
	"bytes"
	"fmt"
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
	diff := func(a, b map[string]string) {
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
	diff(requires(oldF), requires(newF))
	diff(replaces(oldF), replaces(newF))
	diff(excludes(oldF), excludes(newF))
	diff(oldSum, newSum)
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
