package packaging

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestGitLabRecipeFromTheREADMEMakesAValidChildPipeline follows the README's GitLab recipe: the plan
// job writes the user's .monoctx-build template and then `monoctx affected --format gitlab` into
// the artifact the trigger job includes. That file must parse, hold one job per affected app (or
// the no-op job), and every job must extend a job defined in it.
func TestGitLabRecipeFromTheREADMEMakesAValidChildPipeline(t *testing.T) {
	hostPlatform(t)
	blocks := readmeBlocks(t, "gitlab")
	parentYAML, tmpl := blocks[".gitlab-ci.yml"], blocks[".gitlab/monoctx-build.yml"]
	if parentYAML == nil || tmpl == nil {
		t.Fatalf("README.md: want the gitlab blocks .gitlab-ci.yml and .gitlab/monoctx-build.yml, got %d blocks", len(blocks))
	}
	type job struct {
		Extends   string   `yaml:"extends"`
		Script    []string `yaml:"script"`
		Artifacts struct {
			Paths []string `yaml:"paths"`
		} `yaml:"artifacts"`
		Trigger struct {
			Include []struct {
				Artifact string `yaml:"artifact"`
				Job      string `yaml:"job"`
			} `yaml:"include"`
		} `yaml:"trigger"`
	}
	var parent map[string]yaml.Node
	if err := yaml.Unmarshal(parentYAML, &parent); err != nil {
		t.Fatalf("README.md .gitlab-ci.yml: %v", err)
	}
	jobs := map[string]job{}
	for name, n := range parent {
		var j job
		if n.Kind == yaml.MappingNode {
			if err := n.Decode(&j); err != nil {
				t.Fatalf("README.md .gitlab-ci.yml: %s: %v", name, err)
			}
			jobs[name] = j
		}
	}
	// The trigger job includes the artifact that the plan job writes: template first, then monoctx.
	var artifact, planJob string
	for _, j := range jobs {
		for _, inc := range j.Trigger.Include {
			artifact, planJob = inc.Artifact, inc.Job
		}
	}
	plan, ok := jobs[planJob]
	if artifact == "" || !ok {
		t.Fatalf("README.md .gitlab-ci.yml: no trigger job including an artifact of a job defined there")
	}
	script := strings.Join(plan.Script, "\n")
	if !slices.Contains(plan.Artifacts.Paths, artifact) ||
		!strings.Contains(script, "cp .gitlab/monoctx-build.yml "+artifact) ||
		!strings.Contains(script, "--format gitlab >> "+artifact) {
		t.Fatalf("README.md: job %s does not write the template and the generated jobs into its artifact %s:\n%s", planJob, artifact, script)
	}

	path := monoctxOnPath(t)
	repo := t.TempDir()
	first := gitRepo(t, repo, map[string]string{
		"services/a/Dockerfile": "FROM scratch\nCOPY libs/ /libs/\n",
		"services/b/Dockerfile": "FROM scratch\nCOPY libs/ /libs/\n",
		"services/c/Dockerfile": "FROM scratch\nCOPY c.txt /c.txt\n",
		"services/c/c.txt":      "c\n",
		"libs/x.txt":            "x\n",
	})
	writeFiles(t, repo, map[string]string{"libs/x.txt": "x2\n"})
	commitAll(t, repo, "change libs")

	for _, tc := range []struct {
		name, base string
		wantJobs   []string
	}{
		{"two affected", first, []string{"build:services/a", "build:services/b"}},
		{"nothing affected", "HEAD", []string{"monoctx:nothing-affected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			generated := mustRun(t, repo, []string{path}, filepath.Join(monoctxDir, "monoctx"),
				"affected", "--base", tc.base, "--head", "HEAD", "--format", "gitlab")
			var child map[string]job
			if err := yaml.Unmarshal([]byte(string(tmpl)+generated), &child); err != nil {
				t.Fatalf("the child pipeline does not parse: %v\n%s%s", err, tmpl, generated)
			}
			var got []string
			for name, j := range child {
				if strings.HasPrefix(name, ".") {
					continue
				}
				got = append(got, name)
				if _, ok := child[j.Extends]; j.Extends != "" && !ok {
					t.Errorf("job %s extends %q, which the child pipeline does not define", name, j.Extends)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.wantJobs) {
				t.Errorf("child pipeline jobs %q, want %q", got, tc.wantJobs)
			}
		})
	}
}
