// Package gittest isolates the git commands that tests run (directly, or through the code under
// test) from the machine's configuration, so that they behave the same on every machine.
package gittest

import (
	"os"
	"path/filepath"
	"strings"
)

// Vars are the variables that isolate git: no global or system configuration, no XDG configuration,
// fixed identities, and no prompt that could hang a test.
func Vars() map[string]string {
	return map[string]string{
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_CONFIG_NOSYSTEM": "1",
		"XDG_CONFIG_HOME":     filepath.Join(os.TempDir(), "monoctx-gittest-no-xdg"),
		"GIT_AUTHOR_NAME":     "Test",
		"GIT_AUTHOR_EMAIL":    "test@example.com",
		"GIT_COMMITTER_NAME":  "Test",
		"GIT_COMMITTER_EMAIL": "test@example.com",
		"GIT_TERMINAL_PROMPT": "0",
	}
}

// Environ is Vars in os/exec form, to append to a command's environment.
func Environ() []string {
	var out []string
	for k, v := range Vars() {
		out = append(out, k+"="+v)
	}
	return out
}

// Isolate sets Vars in the process environment and unsets every other GIT_* variable (tests run from
// a git hook inherit GIT_DIR and GIT_INDEX_FILE) and the names in unset. Call it from TestMain.
func Isolate(unset ...string) error {
	vars := Vars()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, keep := vars[k]; strings.HasPrefix(k, "GIT_") && !keep {
			unset = append(unset, k)
		}
	}
	for _, k := range unset {
		if err := os.Unsetenv(k); err != nil {
			return err
		}
	}
	for k, v := range vars {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
