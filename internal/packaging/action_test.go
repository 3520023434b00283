package packaging

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

const actionlintVersion = "v1.7.12" // as the Makefile installs it

// actionlint finds actionlint: $MONOCTX_ACTIONLINT (make check sets it, and then it must work),
// PATH, or where make check installs it. Elsewhere the test skips: make check is where it runs.
func actionlint(t *testing.T) (bin string, required bool) {
	t.Helper()
	if p := os.Getenv("MONOCTX_ACTIONLINT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("MONOCTX_ACTIONLINT: %v", err)
		}
		return p, true
	}
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p, false
	}
	p := filepath.Join(root, "bin", "tools", "actionlint-"+actionlintVersion, "actionlint")
	if _, err := os.Stat(p); err == nil {
		return p, false
	}
	t.Skip("actionlint is not installed; make check installs it into bin/tools and runs this test")
	return "", false
}

// actionMetadata is the part of action.yml the synthesized workflow needs.
type actionMetadata struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string      `yaml:"using"`
		Steps []yaml.Node `yaml:"steps"`
	} `yaml:"runs"`
}

// stepsWorkflow turns the composite action's steps into a workflow job, so that actionlint checks
// their expressions and (with shellcheck) their scripts: actionlint reads an action's metadata only
// where a workflow uses it, and never lints the steps inside it.
func stepsWorkflow(t *testing.T, action []byte) []byte {
	t.Helper()
	var md actionMetadata
	if err := yaml.Unmarshal(action, &md); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if md.Runs.Using != "composite" || len(md.Runs.Steps) == 0 {
		t.Fatalf("action.yml: runs.using %q with %d steps, want a composite action", md.Runs.Using, len(md.Runs.Steps))
	}
	inputs := map[string]any{}
	for name, in := range md.Inputs {
		inputs[name] = map[string]any{"description": in.Description, "default": in.Default, "required": false, "type": "string"}
	}
	outputs := map[string]string{}
	for name, out := range md.Outputs {
		outputs[name] = out.Value
	}
	wf := map[string]any{
		"name": "action.yml steps",
		"on":   map[string]any{"workflow_dispatch": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on": "ubuntu-latest",
			"outputs": outputs,
			"steps":   md.Runs.Steps,
		}},
	}
	data, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var readmeMarker = regexp.MustCompile(`^<!-- (actionlint|gitlab): (\S+) -->$`)

// readmeBlocks returns the README's ```yaml blocks that follow an `<!-- KIND: NAME -->` line, by NAME.
func readmeBlocks(t *testing.T, kind string) map[string][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	var name string
	var block *bytes.Buffer
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case block != nil && text == "```":
			out[name] = block.Bytes()
			block, name = nil, ""
		case block != nil:
			block.WriteString(text + "\n")
		case name != "" && text == "```yaml":
			block = &bytes.Buffer{}
		case name != "":
			t.Fatalf("README.md:%d: the line after <!-- %s: %s --> must open a ```yaml block", line, kind, name)
		default:
			if m := readmeMarker.FindStringSubmatch(text); m != nil && m[1] == kind {
				name = m[2]
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("README.md has no <!-- %s: NAME --> block", kind)
	}
	return out
}

// readmeWorkflows returns the README's workflows with the action's `uses: monoctx/monoctx@REF`
// pointed at the local checkout (./), so that actionlint checks the inputs given against action.yml.
func readmeWorkflows(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	uses := regexp.MustCompile(`uses: monoctx/monoctx@\S+`)
	for name, wf := range readmeBlocks(t, "actionlint") {
		if !uses.Match(wf) {
			t.Errorf("README.md workflow %s does not use the action (uses: monoctx/monoctx@…)", name)
		}
		out[name] = uses.ReplaceAll(wf, []byte("uses: ./"))
	}
	return out
}

// TestActionlintPassesOnTheActionAndTheREADMEWorkflow lints, in a copy of the action: its steps as a
// workflow, a workflow passing every input through `uses: ./`, and the README's workflows. A
// misspelt input must be reported, which shows that actionlint read action.yml.
func TestActionlintPassesOnTheActionAndTheREADMEWorkflow(t *testing.T) {
	bin, required := actionlint(t)
	shellcheck := ""
	if p, err := exec.LookPath("shellcheck"); err == nil {
		shellcheck = p
	} else if required {
		t.Fatal("shellcheck is not installed (scripts/with-dockerd installs it); actionlint would not check the scripts")
	} else {
		t.Log("shellcheck is not installed: the scripts in action.yml are not checked")
	}

	dir := t.TempDir()
	action := readFile(t, filepath.Join(root, "action.yml"))
	var md actionMetadata
	if err := yaml.Unmarshal(action, &md); err != nil {
		t.Fatal(err)
	}
	var with strings.Builder
	for name := range md.Inputs {
		with.WriteString("          " + name + ": ${{ github.sha }}\n")
	}
	files := map[string]string{
		"action.yml":                         string(action),
		"scripts/github-action":              string(readFile(t, filepath.Join(root, "scripts", "github-action"))),
		".github/workflows/action-steps.yml": string(stepsWorkflow(t, action)),
		".github/workflows/every-input.yml": "on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n" +
			"      - uses: actions/checkout@v4\n      - id: affected\n        uses: ./\n        with:\n" + with.String() +
			"      - run: echo '${{ steps.affected.outputs.matrix }} ${{ steps.affected.outputs.any }} ${{ steps.affected.outputs.apps }}'\n",
	}
	var lint []string
	for name, wf := range readmeWorkflows(t) {
		files[".github/workflows/readme-"+filepath.Base(name)] = string(wf)
	}
	writeFiles(t, dir, files)
	// actionlint finds the project, and so the local action ./, by its .git.
	mustRun(t, dir, nil, "git", "init", "-q")
	for name := range files {
		if strings.HasPrefix(name, ".github/") {
			lint = append(lint, name)
		}
	}
	args := append([]string{"-no-color", "-shellcheck=" + shellcheck}, lint...)
	if out, err := run(t, dir, nil, bin, args...); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}

	writeFiles(t, dir, map[string]string{".github/workflows/bad.yml": "on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n" +
		"    steps:\n      - uses: actions/checkout@v4\n      - uses: ./\n        with:\n          vresion: v1.2.3\n"})
	out, err := run(t, dir, nil, bin, "-no-color", "-shellcheck=", ".github/workflows/bad.yml")
	if err == nil || !strings.Contains(out, `input "vresion" is not defined in action "monoctx affected" defined at "./"`) {
		t.Errorf("actionlint on a misspelt input: err %v, output:\n%s\nwant it reported", err, out)
	}
}

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// sharedRelease is the release of testVersion for the host platform and windows/amd64 (the zip),
// made once for the tests that read it, laid out as the GitHub releases are: DIR/VERSION/FILE.
func sharedRelease(t *testing.T) string {
	t.Helper()
	goos, goarch := hostPlatform(t)
	releaseOnce.Do(func() {
		releaseDir, releaseErr = os.MkdirTemp("", "monoctx-packaging-release")
		if releaseErr != nil {
			return
		}
		releaseErr = runRelease(goos, goarch, filepath.Join(releaseDir, testVersion))
	})
	if releaseErr != nil {
		t.Fatalf("scripts/release: %v", releaseErr)
	}
	return releaseDir
}

func runRelease(goos, goarch, out string) error {
	cmd := exec.Command("scripts/release", testVersion, out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PLATFORMS="+goos+"/"+goarch+" windows/amd64", "SOURCE_DATE_EPOCH=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return &runErr{err: err, stderr: string(out)}
	}
	return nil
}

// runnerEnv is what a GitHub runner sets for the install step, with the releases read from dir.
func runnerEnv(t *testing.T, dir, tmp string) []string {
	goos, goarch := hostPlatform(t)
	osName := map[string]string{"linux": "Linux", "darwin": "macOS"}[goos]
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[goarch]
	return []string{"MONOCTX_RELEASE_URL=file://" + dir, "RUNNER_OS=" + osName, "RUNNER_ARCH=" + arch,
		"RUNNER_TEMP=" + tmp, "GITHUB_PATH=" + filepath.Join(tmp, "github-path"), "ACTION_PATH=" + root,
		"INPUT_VERSION=", "ACTION_REF=", "GH_TOKEN="}
}

// TestActionInstallsTheReleaseArchiveVerifiedAgainstTheChecksums: the archive of the requested
// version (or of the action's own tag) is installed and put on PATH; a checksum mismatch installs
// nothing; a version without an archive falls back to go install; a branch builds the source.
func TestActionInstallsTheReleaseArchiveVerifiedAgainstTheChecksums(t *testing.T) {
	need(t, "curl", false, "apt-get install curl")
	dist := sharedRelease(t)
	script := filepath.Join(root, "scripts", "github-action")

	for _, tc := range []struct{ name, env string }{
		{"version input", "INPUT_VERSION=" + testVersion},
		{"the action's tag", "ACTION_REF=" + testVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			mustRun(t, root, append(runnerEnv(t, dist, tmp), tc.env), script, "install")
			bindir := filepath.Join(tmp, "monoctx-bin")
			if got := mustRun(t, root, nil, filepath.Join(bindir, "monoctx"), "version"); !strings.HasPrefix(got, "monoctx "+testVersion+"\n") {
				t.Errorf("installed monoctx prints %q, want version %s", got, testVersion)
			}
			if got := string(readFile(t, filepath.Join(tmp, "github-path"))); got != bindir+"\n" {
				t.Errorf("$GITHUB_PATH got %q, want %q", got, bindir+"\n")
			}
		})
	}

	t.Run("checksum mismatch", func(t *testing.T) {
		bad := t.TempDir()
		entries, err := os.ReadDir(filepath.Join(dist, testVersion))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data := readFile(t, filepath.Join(dist, testVersion, e.Name()))
			if strings.HasSuffix(e.Name(), "_checksums.txt") {
				data = regexp.MustCompile(`(?m)^[0-9a-f]{64}`).ReplaceAll(data, []byte(strings.Repeat("0", 64)))
			}
			writeFiles(t, filepath.Join(bad, testVersion), map[string]string{e.Name(): string(data)})
		}
		tmp := t.TempDir()
		env := append(runnerEnv(t, bad, tmp), "INPUT_VERSION="+testVersion)
		env[0] = "MONOCTX_RELEASE_URL=file://" + bad
		out, err := run(t, root, env, script, "install")
		if err == nil || !strings.Contains(out, "::error title=monoctx::checksum mismatch for monoctx_"+testVersion) {
			t.Fatalf("install with a wrong checksum: err %v, stdout %q; want the mismatch reported", err, out)
		}
		if _, err := os.Stat(filepath.Join(tmp, "monoctx-bin", "monoctx")); !os.IsNotExist(err) {
			t.Errorf("a binary was installed despite the checksum mismatch")
		}
	})

	t.Run("no archive falls back to go install", func(t *testing.T) {
		tmp := t.TempDir()
		fake := filepath.Join(tmp, "fakebin")
		// A stand-in go that records its arguments and installs a monoctx that prints them.
		writeFiles(t, fake, map[string]string{"go": "#!/bin/sh\nprintf '%s\\n' \"$*\" > \"$GOBIN/go-args\"\n" +
			"printf '#!/bin/sh\\necho monoctx from go install\\n' > \"$GOBIN/monoctx\"\nchmod +x \"$GOBIN/monoctx\"\n"})
		if err := os.Chmod(filepath.Join(fake, "go"), 0o755); err != nil {
			t.Fatal(err)
		}
		env := append(runnerEnv(t, dist, tmp), "INPUT_VERSION=v9.9.9", "PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"))
		out := mustRun(t, root, env, script, "install")
		if !strings.Contains(out, "monoctx from go install") {
			t.Errorf("install printed %q, want the go-installed monoctx's version", out)
		}
		if got := string(readFile(t, filepath.Join(tmp, "monoctx-bin", "go-args"))); got != "install github.com/monoctx/monoctx/cmd/monoctx@v9.9.9\n" {
			t.Errorf("go was run with %q", got)
		}
	})

	t.Run("a branch builds the action's source", func(t *testing.T) {
		tmp := t.TempDir()
		mustRun(t, root, append(runnerEnv(t, dist, tmp), "ACTION_REF=main"), script, "install")
		if got := mustRun(t, root, nil, filepath.Join(tmp, "monoctx-bin", "monoctx"), "version"); !strings.HasPrefix(got, "monoctx ") {
			t.Errorf("monoctx built from source prints %q", got)
		}
	})
}

var (
	monoctxOnce sync.Once
	monoctxDir  string
	monoctxErr  error
)

// monoctxOnPath builds monoctx once and returns a PATH that starts with its directory.
func monoctxOnPath(t *testing.T) string {
	t.Helper()
	monoctxOnce.Do(func() {
		if monoctxDir, monoctxErr = os.MkdirTemp("", "monoctx-packaging-bin"); monoctxErr != nil {
			return
		}
		// -trimpath: the packages compiled for the release are reused.
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(monoctxDir, "monoctx"), "./cmd/monoctx")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			monoctxErr = &runErr{err: err, stderr: string(out)}
		}
	})
	if monoctxErr != nil {
		t.Fatalf("building monoctx: %v", monoctxErr)
	}
	return "PATH=" + monoctxDir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// TestActionAffectedTakesItsBaseFromTheEvent runs the action's affected step on a repository with
// two apps: the base is the push's before or the pull request's base unless the base input is
// given, a new branch's all-zero before is decided by on-missing-base, and working-directory and
// config are honoured. The outputs are read back from $GITHUB_OUTPUT.
func TestActionAffectedTakesItsBaseFromTheEvent(t *testing.T) {
	hostPlatform(t)
	path := monoctxOnPath(t)
	repo := t.TempDir()
	first := gitRepo(t, repo, map[string]string{
		"services/a/Dockerfile": "FROM scratch\nCOPY a.txt /a.txt\n",
		"services/a/a.txt":      "a\n",
		"services/b/Dockerfile": "FROM scratch\nCOPY b.txt /b.txt\n",
		"services/b/b.txt":      "b\n",
		"skip-b.yaml":           "apps:\n  services/b:\n    skip: true\n",
	})
	writeFiles(t, repo, map[string]string{"services/a/a.txt": "a2\n"})
	second := commitAll(t, repo, "change a")
	zeros := strings.Repeat("0", 40)

	matrix := func(apps ...string) string {
		var parts []string
		for _, a := range apps {
			parts = append(parts, `{"app":"`+a+`","dockerfile":"`+a+`/Dockerfile","context":"`+a+`"}`)
		}
		return `{"include":[` + strings.Join(parts, ",") + `]}`
	}
	for _, tc := range []struct {
		name    string
		env     []string
		want    string // $GITHUB_OUTPUT
		wantErr string
	}{
		{"push", []string{"EVENT_NAME=push", "PUSH_BEFORE=" + first},
			"matrix=" + matrix("services/a") + "\nany=true\napps=[\"services/a\"]\n", ""},
		{"pull request", []string{"EVENT_NAME=pull_request", "PR_BASE_SHA=" + second, "PUSH_BEFORE=" + first},
			"matrix=" + matrix() + "\nany=false\napps=[]\n", ""},
		{"base input wins", []string{"EVENT_NAME=pull_request", "PR_BASE_SHA=" + second, "INPUT_BASE=" + first},
			"matrix=" + matrix("services/a") + "\nany=true\napps=[\"services/a\"]\n", ""},
		{"new branch, all", []string{"EVENT_NAME=push", "PUSH_BEFORE=" + zeros, "INPUT_ON_MISSING_BASE=all"},
			"matrix=" + matrix("services/a", "services/b") + "\nany=true\napps=[\"services/a\",\"services/b\"]\n", ""},
		{"new branch, error", []string{"EVENT_NAME=push", "PUSH_BEFORE=" + zeros},
			"", "is the all-zero hash"},
		{"working-directory and config", []string{"EVENT_NAME=push", "PUSH_BEFORE=" + zeros, "INPUT_ON_MISSING_BASE=all",
			"INPUT_WORKING_DIRECTORY=services", "INPUT_CONFIG=../skip-b.yaml"},
			"matrix=" + matrix("services/a") + "\nany=true\napps=[\"services/a\"]\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			output := filepath.Join(t.TempDir(), "github-output")
			env := append([]string{path, "GITHUB_OUTPUT=" + output, "INPUT_BASE=", "INPUT_HEAD=HEAD", "INPUT_ON_MISSING_BASE=error",
				"INPUT_WORKING_DIRECTORY=.", "INPUT_CONFIG=", "PR_BASE_SHA=", "PUSH_BEFORE=", "MERGE_GROUP_BASE_SHA="}, tc.env...)
			_, err := run(t, repo, env, filepath.Join(root, "scripts", "github-action"), "affected")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(readFile(t, output)); got != tc.want {
				t.Errorf("$GITHUB_OUTPUT:\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestShipScriptsPassShellCheck: the scripts the release and the action run.
func TestShipScriptsPassShellCheck(t *testing.T) {
	sc := need(t, "shellcheck", os.Getenv("MONOCTX_ACTIONLINT") != "", "scripts/with-dockerd installs it")
	mustRun(t, root, nil, sc, "scripts/release", "scripts/github-action")
}
