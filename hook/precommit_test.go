package hook_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/hook"
)

// TestPreCommitFrameworkManifestMatchesTheScript keeps the repository's
// .pre-commit-hooks.yaml in step with the arguments the installed script
// passes to `monoctx hook run`.
func TestPreCommitFrameworkManifestMatchesTheScript(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct {
		ID            string   `yaml:"id"`
		Entry         string   `yaml:"entry"`
		Language      string   `yaml:"language"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		AlwaysRun     bool     `yaml:"always_run"`
		Stages        []string `yaml:"stages"`
	}
	if err := yaml.Unmarshal(data, &manifest); err != nil {
		t.Fatalf("parsing .pre-commit-hooks.yaml: %v", err)
	}
	var want []string
	for _, h := range []hook.Hook{{Name: hook.PreCommit, Mode: hook.ModeFix}, {Name: hook.PreCommit, Mode: hook.ModeCheck}, {Name: hook.PrePush}} {
		h, err := h.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, "monoctx "+strings.Join(h.RunArgs()[:len(h.RunArgs())-1], " "))
	}
	var entries []string
	ids := map[string]bool{}
	for _, h := range manifest {
		entries = append(entries, h.Entry)
		if ids[h.ID] {
			t.Errorf("duplicate id %q", h.ID)
		}
		ids[h.ID] = true
		if h.Language != "golang" || h.PassFilenames == nil || *h.PassFilenames || !h.AlwaysRun {
			t.Errorf("%s: want language golang, pass_filenames false, always_run true", h.ID)
		}
		// The stage names pre-commit 3.0 reads (Debian 12's package); 3.2 and later map them to
		// git's hook names.
		stage := map[string]string{"pre-commit": "commit", "pre-push": "push"}[strings.Fields(h.Entry)[3]]
		if !slices.Equal(h.Stages, []string{stage}) {
			t.Errorf("%s: stages = %q, want [%s]", h.ID, h.Stages, stage)
		}
	}
	if !slices.Equal(entries, want) {
		t.Errorf("entries = %q, want %q", entries, want)
	}
}
