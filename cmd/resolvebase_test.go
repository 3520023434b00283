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
	side := strings.TrimSpace(gittest.Git(t, dir, "rev-parse", "side"))
	for _, base := range []string{"HEAD", "HEAD~1", "HEAD^", "HEAD~1^2", "HEAD^^2", "HEAD~2", "side", "main~1", "HEAD@{1}",
		head + "~1", head + "^^2", side + "~0", side, "side~1"} {
		want := strings.TrimSpace(gittest.Git(t, dir, "merge-base", base, "HEAD"))
		for _, h := range [][2]string{{"", "HEAD"}, {head, "HEAD"}, {head, head}, {head, "main"}} {
			got, err := resolveBase(ctx, repo, base, h[0], h[1])
			if err != nil || got != want {
				t.Errorf("resolveBase(%s, head %q named %s): %s, %v; git's merge-base is %s", base, h[0], h[1], got, err, want)
			}
		}
		// Another head: side, whose merge base with most of these is not the base itself.
		want = strings.TrimSpace(gittest.Git(t, dir, "merge-base", base, "side"))
		if got, err := resolveBase(ctx, repo, base, side, "side"); err != nil || got != want {
			t.Errorf("resolveBase(%s, head side): %s, %v; git's merge-base is %s", base, got, err, want)
		}
	}
	for ref, other := range map[string]string{"HEAD~1": "HEAD", "HEAD^2": "HEAD", "HEAD": "HEAD", "HEAD~10^3": "HEAD", "abc123~2": "abc123", "main^": "main"} {
		if m := ancestorRE.FindStringSubmatch(ref); m == nil || m[1] != other {
			t.Errorf("%s: %q; want an ancestor of %s", ref, m, other)
		}
	}
	for _, ref := range []string{"HEAD@{1}", "HEAD^{commit}", "HEAD~1:path", "@~1"} {
		if ancestorRE.MatchString(ref) {
			t.Errorf("%s taken for an ancestor by its syntax", ref)
		}
	}
}
