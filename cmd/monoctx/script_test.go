package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/monoctx/monoctx/cmd"
	"github.com/monoctx/monoctx/internal/gittest"
)

var update = flag.Bool("update", false, "rewrite the golden files inside testdata/script/*.txtar with the actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"monoctx": func() { os.Exit(cmd.Execute(context.Background(), cmd.System())) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script: each builds a small monorepo, runs
// git and monoctx, and compares stdout, stderr and files with the golden files it carries.
// go test ./cmd/monoctx -run TestScripts -update rewrites those golden files.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setupGit,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkrepo":   cmdMkrepo,
			"commit":   cmdCommit,
			"revparse": cmdRevparse,
			"exits":    cmdExits,
		},
	})
}

// setupGit isolates git from the user's configuration and pins identities and dates so that commit
// SHAs printed by monoctx are the same on every run.
func setupGit(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	for k, v := range gittest.Vars() {
		env.Setenv(k, v)
	}
	for k, v := range map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		// A fixed identity and fixed dates keep the commit SHAs in golden files stable.
		"GIT_AUTHOR_NAME":     "Monoctx Test",
		"GIT_AUTHOR_EMAIL":    "test@monoctx.invalid",
		"GIT_COMMITTER_NAME":  "Monoctx Test",
		"GIT_COMMITTER_EMAIL": "test@monoctx.invalid",
		"GIT_AUTHOR_DATE":     "2024-01-01T00:00:00Z",
		"GIT_COMMITTER_DATE":  "2024-01-01T00:00:00Z",
		// A GitHub Actions runner sets this; scripts that test it set their own.
		"GITHUB_OUTPUT": "",
	} {
		env.Setenv(k, v)
	}
	return nil
}

// cmdMkrepo makes the current directory a git repository on branch main and commits everything in it.
//
//	mkrepo
func cmdMkrepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: mkrepo")
	}
	ts.Check(ts.Exec("git", "init", "-q", "-b", "main"))
	ts.Check(ts.Exec("git", "add", "-A"))
	ts.Check(ts.Exec("git", "commit", "-q", "-m", "initial"))
}

// cmdCommit stages every change in the work tree (additions, edits, deletions) and commits it.
//
//	commit MESSAGE
func cmdCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: commit MESSAGE")
	}
	ts.Check(ts.Exec("git", "add", "-A"))
	ts.Check(ts.Exec("git", "commit", "-q", "-m", args[0]))
}

// cmdRevparse sets the environment variable NAME to the full SHA of REV in the repository in the
// current directory, for scripts that pass a commit to monoctx or expect one in its output (cmpenv).
//
//	revparse NAME REV
func cmdRevparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: revparse NAME REV")
	}
	ts.Check(ts.Exec("git", "rev-parse", "--verify", "--end-of-options", args[1]+"^{commit}"))
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
}

// cmdExits runs a program like exec and fails unless it exits with exactly CODE, so that scripts
// tell an error (1) from a usage error (2). stdout and stderr are kept for the next commands.
//
//	exits CODE PROGRAM [ARG...]
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad CODE %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: running %s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
