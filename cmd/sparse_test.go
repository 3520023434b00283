package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/monoctx/monoctx/graph"
	"github.com/monoctx/monoctx/internal/gittest"
)

func TestMain(m *testing.M) {
	if err := gittest.Isolate(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// sparseRepo is a repository whose compose service web lies outside the cone of a sparse checkout
// of api/: web/Dockerfile is not on disk, only in git's index.
func sparseRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	gittest.WriteFiles(t, dir,
		"compose.yaml", "services:\n  web:\n    build: web\n  api:\n    build:\n      context: api\n",
		"web/Dockerfile", "FROM scratch\nCOPY w /w\n",
		"web/w", "w\n",
		"api/Dockerfile", "FROM scratch\nCOPY a /a\n",
		"api/a", "a\n")
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "init"},
		{"sparse-checkout", "set", "--cone", "api"}} {
		gittest.Git(t, dir, args...)
	}
	if _, err := os.Stat(filepath.Join(dir, "web", "Dockerfile")); err == nil {
		t.Fatal("web/Dockerfile is on disk: the sparse checkout did not take")
	}
	return dir
}

// graphJSON is the JSON of what a load gave, for t.
func graphJSON(t *testing.T) func(*graph.Graph, error) string {
	return func(g *graph.Graph, err error) string {
		t.Helper()
		return loadedJSON(t, g, err)
	}
}

func loadedJSON(t *testing.T, g *graph.Graph, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		Apps     []*graph.App
		Warnings []string
	}{g.Apps, g.Warnings})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGraphStartedBeforeTheSparseAnswerIsTheViewGitAnswers: a load that starts before git has said
// whether the checkout is sparse gives the graph of the index's view when git says yes, and the
// walk's when it says no, whenever the answer comes.
func TestGraphStartedBeforeTheSparseAnswerIsTheViewGitAnswers(t *testing.T) {
	dir := sparseRepo(t)
	ctx := context.Background()
	g := &globalOptions{Engine: "git", NoCache: true}
	env := System()
	env.Getwd = func() (string, error) { return dir, nil }
	open := func() *session {
		s, err := g.open(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if !s.sparse.get() {
		t.Fatal("git says the checkout is not sparse")
	}
	want := map[bool]string{
		true:  graphJSON(t)(s.readGraph(ctx, g, s.root, s.workTreeView(ctx, true))),
		false: graphJSON(t)(s.readGraph(ctx, g, s.root, s.workTreeView(ctx, false))),
	}
	if want[true] == want[false] {
		t.Fatal("the index's and the walk's views give the same graph: the test would prove nothing")
	}
	for _, sparse := range []bool{true, false} {
		s := open()
		s.sparse.get()
		a := &answer{done: make(chan struct{})}
		s.sparse = a
		go func() {
			a.v = sparse
			close(a.done)
		}()
		if got := graphJSON(t)(s.readGraphBeforeSparse(ctx, g, s.root)); got != want[sparse] {
			t.Errorf("git answers sparse=%v after the load started:\n%s\nwant\n%s", sparse, got, want[sparse])
		}
	}
	// And through readGraph, with the answer in before or after it asks.
	s = open()
	if got := graphJSON(t)(s.readGraph(ctx, g, s.root, nil)); got != want[true] {
		t.Errorf("readGraph of the sparse checkout:\n%s\nwant\n%s", got, want[true])
	}
}
