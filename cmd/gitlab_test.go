package cmd

import (
	"bytes"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph"
)

// TestGitLabPipelineParsesWithOneJobPerAffectedApp reads the generated child pipeline back as YAML:
// a build job per affected app (none for a removed one) carrying that app's variables, or the one
// no-op job when nothing is affected.
func TestGitLabPipelineParsesWithOneJobPerAffectedApp(t *testing.T) {
	app := func(name, status string) graph.Affected {
		return graph.Affected{Name: name, Dockerfile: name + "/Dockerfile", Context: name, Status: status,
			Reasons: []graph.Reason{{Rule: "Dockerfile deleted"}}}
	}
	for _, tc := range []struct {
		name     string
		apps     []graph.Affected
		wantJobs []string
	}{
		{"three affected, one removed",
			[]graph.Affected{app("api", "affected"), app("true", "affected"), app("gone", "removed"), app("web/ui: v2", "affected")},
			[]string{"build:api", "build:true", "build:web/ui: v2"}},
		{"only removed", []graph.Affected{app("gone", "removed")}, []string{"monoctx:nothing-affected"}},
		{"nothing", nil, []string{"monoctx:nothing-affected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			if err := writeGitLab(&out, &errw, &affectedResult{Base: "b", Head: "h", Apps: tc.apps}); err != nil {
				t.Fatal(err)
			}
			var jobs map[string]struct {
				Extends   string            `yaml:"extends"`
				Stage     string            `yaml:"stage"`
				Variables map[string]string `yaml:"variables"`
				Script    []string          `yaml:"script"`
			}
			if err := yaml.Unmarshal(out.Bytes(), &jobs); err != nil {
				t.Fatalf("the pipeline does not parse: %v\n%s", err, out.String())
			}
			var got []string
			for name := range jobs {
				got = append(got, name)
			}
			if !sameSet(got, tc.wantJobs) {
				t.Fatalf("got jobs %q, want %q\n%s", got, tc.wantJobs, out.String())
			}
			for _, a := range tc.apps {
				if a.Status != "affected" {
					continue
				}
				j := jobs["build:"+a.Name]
				if j.Extends != gitlabTemplate {
					t.Errorf("job %s extends %q, want %q", a.Name, j.Extends, gitlabTemplate)
				}
				want := map[string]string{"MONOCTX_APP": a.Name, "MONOCTX_DOCKERFILE": a.Dockerfile, "MONOCTX_CONTEXT": a.Context,
					"MONOCTX_IMAGE_NAME": gitlabImageName(a.Name),
					"MONOCTX_IMAGE":      "$CI_REGISTRY_IMAGE/" + gitlabImageName(a.Name) + ":$CI_COMMIT_SHA"}
				if !reflect.DeepEqual(j.Variables, want) {
					t.Errorf("job %s variables %v, want %v", a.Name, j.Variables, want)
				}
			}
			if noop, ok := jobs["monoctx:nothing-affected"]; ok && (noop.Stage != "build" || len(noop.Script) != 1) {
				t.Errorf("no-op job %+v, want stage build and one script line", noop)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}

func TestGitLabImageNameIsARegistryPath(t *testing.T) {
	for app, want := range map[string]string{
		"api":                     "api",
		"services/API_v2":         "services/api_v2",
		"tools/worker":            "tools/worker",
		"web ui:next":             "web-ui-next",
		"_hidden/.x/-y-":          "hidden/x/y",
		"apps/web/Dockerfile.dev": "apps/web/dockerfile.dev",
		"/":                       "app/app",
	} {
		if got := gitlabImageName(app); got != want {
			t.Errorf("gitlabImageName(%q): got %q, want %q", app, got, want)
		}
	}
}
