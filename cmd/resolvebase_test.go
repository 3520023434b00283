package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/monoctx/monoctx/graph/gitchanges"
	"github.com/monoctx/monoctx/internal/gittest"
)

// A base written as an ancestor of HEAD is its own merge base; resolveBase gives what git's
// merge-base gives for each, across a merge, and still asks git for every other base.
func TestResolveBaseOfHEADsAncestors(t *testing.T) {
	dir := t.TempDir()
	gittest.Git(t, dir, "-c", "init.defaultBranch=main", "init", "-q")
	commit := func(f string) {
		gittest.WriteFiles(t, dir, f, f+"\n")
		gittest.Git(t, dir, "add", "-A")
		gittest.Git(t, dir, "commit", "-q", "-m", f)
	}
	commit("a")
	gittest.Git(t, dir, "checkout", "-q", "-b", "side")
	commit("b")
	gittest.Git(t, dir, "checkout", "-q", "main")
	commit("c")
	gittest.Git(t, dir, "merge", "-q", "--no-edit", "side")
	commit("d")
	ctx := context.Background()
	repo, err := gitchanges.Open(ctx, dir, gitchanges.WithEngine(gitchanges.EngineGit))
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(gittest.Git(t, dir, "rev-parse", "HEAD"))
	for _, base := range []string{"HEAD", "HEAD~1", "HEAD^", "HEAD~1^2", "HEAD^^2", "HEAD~2", "side", "main~1", "HEAD@{1}"} {
		want := strings.TrimSpace(gittest.Git(t, dir, "merge-base", base, "HEAD"))
		for _, headSHA := range []string{"", head} {
			got, err := resolveBase(ctx, repo, base, headSHA, true)
			if err != nil || got != want {
				t.Errorf("resolveBase(%s, head %q): %s, %v; git's merge-base is %s", base, headSHA, got, err, want)
			}
		}
	}
	for _, ref := range []string{"HEAD~1", "HEAD^2", "HEAD", "HEAD~10^3"} {
		if !headAncestorRE.MatchString(ref) {
			t.Errorf("%s is HEAD's ancestor by its syntax", ref)
		}
	}
	for _, ref := range []string{"HEAD@{1}", "HEAD^{commit}", "main~1", "HEADS~1", "HEAD~1..HEAD", "xHEAD"} {
		if headAncestorRE.MatchString(ref) {
			t.Errorf("%s taken for HEAD's ancestor", ref)
		}
	}
}
