package discover

import (
	"strings"
	"testing"
)

// Each definition file's YAML error is placed at the line where the problem is (yaml.v3 names the
// line where the enclosing block starts, or none on the first line) and says what to do.
func TestYAMLErrorsNameTheLineOfTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name, file, data string
		want             string
	}{
		{"skaffold: a key indented too little", "skaffold.yaml",
			"apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n    - image: web\n      context: web\n     docker:\n        dockerfile: Dockerfile\n",
			"skaffold.yaml:7: did not find expected '-' indicator; indent this line as far as the list items it belongs to"},
		{"skaffold: a list where a string is wanted", "skaffold.yaml",
			"apiVersion: skaffold/v4beta6\nbuild:\n  artifacts:\n    - image: web\n      context: [web]\n",
			"skaffold.yaml:5: a list where a string is wanted"},
		{"skaffold: a tab on the first line", "skaffold.yaml",
			"\tapiVersion: skaffold/v4beta6\n",
			"skaffold.yaml:1: found character that cannot start any token: a tab; indent with spaces (YAML does not allow tabs there)"},
		{"compose: a key indented too little", "compose.yaml",
			"services:\n  web:\n    build:\n      context: web\n     dockerfile: Dockerfile\n",
			"compose.yaml:5: did not find expected key; indent this line as far as the keys of the mapping it belongs to"},
		{"workflow: an unclosed quote names the line where it opens", ".github/workflows/ci.yml",
			"on: push\njobs:\n  b:\n    runs-on: \"ubuntu\n    steps: []\n",
			".github/workflows/ci.yml:4: found unexpected end of stream at the end of the file: the quoted scalar that starts here is not closed; close it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{tc.file: tc.data, "web/Dockerfile": "FROM scratch\n"}
			res := find(t, files)
			if len(res.Broken) != 1 {
				t.Fatalf("broken: got %+v, want one error", res.Broken)
			}
			if got := res.Broken[0].Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A key skaffold's schema does not have, where monoctx reads the file, is a warning naming its line
// and the key meant; the artifact is still read.
func TestSkaffoldUnknownKeysAreNamed(t *testing.T) {
	res := find(t, map[string]string{
		"skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nbuilds: {}\nbuild:\n  artifacts:\n    - image: web\n      contxt: web\n      docker:\n        dockerfile: Dockerfile\n        buildArg: {A: b}\n      sync: {}\n",
		"Dockerfile":    "FROM scratch\n",
	})
	warned := strings.Join(res.Warnings, "\n")
	for _, w := range []string{
		`skaffold.yaml:3: unknown key "builds" in the top level, which skaffold rejects; did you mean "build"?`,
		`skaffold.yaml:7: unknown key "contxt" in a build artifact, which skaffold rejects; did you mean "context"?`,
		`skaffold.yaml:10: unknown key "buildArg" in an artifact's docker, which skaffold rejects; did you mean "buildArgs"?`,
	} {
		if !strings.Contains(warned, w) {
			t.Errorf("no warning %q in:\n%s", w, warned)
		}
	}
	if n := strings.Count(warned, "unknown key"); n != 3 {
		t.Errorf("got %d unknown-key warnings, want 3:\n%s", n, warned)
	}
	if len(res.Builds) != 1 || res.Builds[0].Source != SourceSkaffold {
		t.Errorf("builds: got %+v, want the skaffold artifact", res.Builds)
	}
}

// A variable of build.context or build.dockerfile that nothing sets is named; one with a default,
// one .env sets (even to ""), and an escaped $$ are not.
func TestComposeUnsetBuildVariablesAreNamed(t *testing.T) {
	res := find(t, map[string]string{
		"compose.yaml":   "services:\n  web:\n    build:\n      context: ${CTX:-web}\n      dockerfile: $${X}${EMPTY}${UNSET}Dockerfile\n  api:\n    build: $API_DIR\n",
		".env":           "EMPTY=\n",
		"web/Dockerfile": "FROM scratch\n",
	})
	var got []string
	for _, w := range res.Warnings {
		if strings.Contains(w, "neither the environment") {
			got = append(got, w)
		}
	}
	want := []string{
		`compose.yaml:7: service "api": build.context "$API_DIR" uses API_DIR, which neither the environment nor .env sets, so compose reads it as ""; set API_DIR there, or give a default: ${API_DIR:-VALUE}`,
		`compose.yaml:5: service "web": build.dockerfile "$${X}${EMPTY}${UNSET}Dockerfile" uses UNSET, which neither the environment nor .env sets, so compose reads it as ""; set UNSET there, or give a default: ${UNSET:-VALUE}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\ngot  %q\nwant %q", got, want)
	}
}
