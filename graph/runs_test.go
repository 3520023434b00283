package graph

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph/golang"
)

func in(p, kind string) Input { return Input{Path: p, Match: "path", Rule: Rule{Kind: kind}} }

func inputPaths(ins []Input) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Path)
	}
	return out
}

// A run's inputs sit among the app's own where they were added, and every position agrees
// between Inputs(), inputAt, ownIndex and runIndex, also once dropWhole removes own inputs.
func TestRunsArePlacedAmongTheAppsOwnInputs(t *testing.T) {
	r1 := newInputRun([]Input{in("r1/a", "go"), in("r1/b", "go")})
	r2 := newInputRun([]Input{in("r2/a", "go")})
	r3 := newInputRun([]Input{in("r3/a", "go"), in("r3/b", "go"), in("r3/c", "go")})
	if r1 == nil || r2 == nil || r3 == nil {
		t.Fatal("sorted literal inputs make no run")
	}
	a := &App{Name: "x"}
	a.inputs = []Input{in("Dockerfile", "dockerfile"), in(".", "whole-context"), in("o1", "copy")}
	a.addRun(r1, "")
	a.inputs = append(a.inputs, in("o2", "run"))
	a.addRun(r2, "x/Dockerfile:3")
	a.addRun(r3, "")
	a.inputs = append(a.inputs, in("o3", "artifact"))
	check := func(want []string) {
		t.Helper()
		all := a.Inputs()
		if got := inputPaths(all); !reflect.DeepEqual(got, want) {
			t.Fatalf("Inputs(): got %v, want %v", got, want)
		}
		if a.numInputs() != len(all) {
			t.Errorf("numInputs: got %d, want %d", a.numInputs(), len(all))
		}
		for i := range all {
			if in, _ := a.inputAt(i); in.Path != all[i].Path || a.ruleAt(i) != all[i].Rule {
				t.Errorf("inputAt(%d): got %s (%v), want %s (%v)", i, in.Path, a.ruleAt(i), all[i].Path, all[i].Rule)
			}
		}
		for j := range a.inputs {
			if got := all[a.ownIndex(j)].Path; got != a.inputs[j].Path {
				t.Errorf("ownIndex(%d) is %s, want %s", j, got, a.inputs[j].Path)
			}
		}
		for k, r := range a.runs {
			if got := all[a.runIndex(k)].Path; got != r.run.inputs[0].Path {
				t.Errorf("runIndex(%d) is %s, want %s", k, got, r.run.inputs[0].Path)
			}
		}
	}
	check([]string{"Dockerfile", ".", "o1", "r1/a", "r1/b", "o2", "r2/a", "r3/a", "r3/b", "r3/c", "o3"})
	a.dropWhole()
	a.flat = &flatInputs{}
	check([]string{"Dockerfile", "o1", "r1/a", "r1/b", "o2", "r2/a", "r3/a", "r3/b", "r3/c", "o3"})
	a.setInputs([]Input{in("Dockerfile", "dockerfile")})
	check([]string{"Dockerfile"})
}

func TestInputsThatCannotBeARun(t *testing.T) {
	for name, ins := range map[string][]Input{
		"out of order": {in("b", "go"), in("a", "go")},
		"repeated":     {in("a", "go"), in("a", "go")},
		"a wildcard":   {in("a", "go"), in("b*", "go")},
		"braces":       {in("{a,b}", "go")},
		"a glob":       {{Path: "a/**", Match: "glob"}},
		"excludes":     {{Path: "a", Match: "path", Exclude: []string{"*.md"}}},
	} {
		if newInputRun(ins) != nil {
			t.Errorf("%s: made a run", name)
		}
	}
}

// goSharingRepo has apps that share Go closures: a and a-debug narrow the same Dockerfile line to
// cmd/a's closure, b narrows to cmd/b's, and two compose services COPY a binary make builds from
// cmd/a.
func goSharingRepo(t *testing.T) map[string]string {
	files := goMonorepo(t)
	files["monoctx.yaml"] = "apps:\n  a: {dockerfile: cmd/a/Dockerfile, context: .}\n" +
		"  a-debug: {dockerfile: cmd/a/Dockerfile, context: ., args: {DEBUG: \"1\"}}\n" +
		"  a-cross: {dockerfile: cmd/a/Dockerfile.cross, context: .}\n" +
		"  b: {dockerfile: cmd/b/Dockerfile, context: .}\n"
	files["cmd/a/Dockerfile.cross"] = "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -mod=vendor -o /app ./cmd/a\n"
	files["Makefile"] = "bin/a:\n\tgo build -mod=vendor -o bin/a ./cmd/a\n"
	files[".gitignore"] = "/bin/\n"
	files["deploy/Dockerfile"] = "FROM scratch\nCOPY bin/a /usr/bin/a\nCOPY deploy/conf.yaml /etc/\n"
	files["deploy/conf.yaml"] = "c: 1\n"
	files["compose.yaml"] = "services:\n  one:\n    build: {context: ., dockerfile: deploy/Dockerfile}\n" +
		"  two:\n    build: {context: ., dockerfile: deploy/Dockerfile}\n"
	return files
}

func TestAppsShareTheRunsOfTheirClosures(t *testing.T) {
	g := mustLoad(t, newRepo(t, goSharingRepo(t)).dir)
	run := func(name string) *inputRun {
		t.Helper()
		a := mustApp(t, g, name)
		if len(a.runs) != 1 {
			t.Fatalf("%s: %d runs, want its closure as one: %v", name, len(a.runs), inputPaths(a.Inputs()))
		}
		return a.runs[0].run
	}
	if run("a") != run("a-debug") {
		t.Error("a and a-debug narrow the same line to one closure but hold two runs")
	}
	if run("a") != run("a-cross") {
		t.Error("a and a-cross narrow to one closure from two Dockerfiles but hold two runs")
	}
	for name, where := range map[string]string{"a": "cmd/a/Dockerfile:3", "a-cross": "cmd/a/Dockerfile.cross:3"} {
		ex := mustApp(t, g, name).Explain("pkg/token/token.go")
		if !ex.Input || ex.Rules[0].Where != where {
			t.Errorf("%s: pkg/token/token.go explained by %+v, want the rule of %s", name, ex, where)
		}
	}
	if run("a") == run("b") {
		t.Error("a and b hold one run for two closures")
	}
	if run("one") != run("two") {
		t.Error("the services copying one artifact hold two runs")
	}
	if run("one") == run("a") {
		t.Error("an artifact's closure and a narrowed app's share a run: their rules differ")
	}
	for _, name := range []string{"a", "one"} {
		found := false
		for _, in := range mustApp(t, g, name).Inputs() {
			found = found || in.Path == "pkg/token/token.go"
		}
		if !found {
			t.Errorf("%s: pkg/token/token.go is not among Inputs()", name)
		}
	}
}

// Through the index, runs included, every app's explanation of a path is its explanation over all
// its inputs, and the first input beneath a changed directory is the first in input order.
func TestInputIndexWithRunsIsEveryInput(t *testing.T) {
	files := goSharingRepo(t)
	g := mustLoad(t, newRepo(t, files).dir)
	var paths []string
	for p := range files {
		paths = append(paths, p)
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			paths = append(paths, d)
		}
	}
	paths = append(paths, "bin/a", "cmd/a/new.go", "pkg/token/token.go/x", ".")
	ix := g.inputIndex()
	runs := 0
	for _, a := range g.Apps {
		runs += len(a.runs)
	}
	if runs == 0 || len(ix.runs) == 0 {
		t.Fatal("the fixture's apps hold no runs: the test tests nothing")
	}
	for _, p := range paths {
		cp := cleanPath(p)
		cands, inside := ix.candidates(cp, nil), ix.beneath(cp, nil)
		for ai, a := range g.Apps {
			want := a.Explain(p)
			got := a.explain(p, cands[ai])
			if _, ok := cands[ai]; !ok {
				got = a.explain(p, []int{})
			}
			if got.Input != want.Input || !reflect.DeepEqual(got.Rules, want.Rules) {
				t.Errorf("%s, %s: through the index %+v, over every input %+v", a.Name, p, got, want)
			}
			first, ok := -1, false
			if cp != "." {
				for i, in := range a.Inputs() {
					if key := literalPrefix(in.Path); strings.HasPrefix(key, cp+"/") {
						first, ok = i, true
						break
					}
				}
			}
			if gotFirst, gotOK := inside[ai]; gotOK != ok || ok && gotFirst != first {
				t.Errorf("%s, beneath %s: index %d (%v), over every input %d (%v)", a.Name, p, gotFirst, gotOK, first, ok)
			}
		}
	}
	got, err := g.Affected(context.Background(), []Change{{Path: "pkg/token/token.go", Status: "M"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if want := []string{"a", "a-cross", "a-debug", "b", "one", "two"}; !reflect.DeepEqual(names, want) {
		t.Errorf("a change of pkg/token/token.go affects %v, want %v", names, want)
	}
}

// A closure's files are checked once per Load, by slice: the same files answer alike again, and a
// shorter slice of them (which may leave out the path that cannot be a run) is checked itself.
func TestLoadChecksAClosuresFilesOnce(t *testing.T) {
	l := newLangCache(t.TempDir(), files{})
	fs := []golang.Input{{Path: "a.go"}, {Path: "b.go"}, {Path: "c[1].go"}}
	for range 2 {
		if r := l.newGenRun(&genInputs{files: fs}); r != nil {
			t.Fatal("a path with a pattern byte made a run")
		}
	}
	if r := l.newGenRun(&genInputs{files: fs[:2]}); r == nil || r.len() != 2 {
		t.Fatalf("the plain prefix: %v", r)
	}
	plain := []golang.Input{{Path: "a.go"}, {Path: "b.go"}}
	for range 2 {
		if r := l.newGenRun(&genInputs{files: plain}); r == nil || r.path(1) != "b.go" {
			t.Fatalf("plain files: %v", r)
		}
	}
	if len(l.genRuns) != 3 {
		t.Errorf("%d checks kept, want 3", len(l.genRuns))
	}
}
