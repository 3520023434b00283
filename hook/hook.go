package hook

import (
	"errors"
	"fmt"
	"strings"
)

// Hook names known to this package.
const (
	PreCommit = "pre-commit"
	PrePush   = "pre-push"
)

// Mode says what a hook does when it fires.
type Mode string

// Modes. pre-commit accepts ModeFix (its default) and ModeCheck; pre-push
// accepts ModeReport (its default) only.
const (
	// ModeFix regenerates stale ignore files and stages them.
	ModeFix Mode = "fix"
	// ModeCheck fails the commit when an ignore file is stale.
	ModeCheck Mode = "check"
	// ModeReport prints the affected apps and lets the push through.
	ModeReport Mode = "report"
)

// ScriptVersion is the version of the script format written by [Script]. It
// changes when the script's behaviour changes, so [List] can tell outdated
// scripts apart.
const ScriptVersion = 1

// ChainedSuffix is appended to a hook's file name to keep a hook that was
// installed before ours; the script runs it first.
const ChainedSuffix = ".monoctx-chained"

// ErrInvalidHook is wrapped by the errors for an unknown hook name, a mode the
// hook does not support or an option it does not take.
var ErrInvalidHook = errors.New("invalid hook")

// Hook is a hook to install.
type Hook struct {
	// Name is the git hook: PreCommit or PrePush.
	Name string `json:"name"`
	// Mode is what the hook does; empty means the hook's default.
	Mode Mode `json:"mode"`
	// FailOnAffected makes pre-push refuse a push that affects any app.
	// Only pre-push takes it.
	FailOnAffected bool `json:"failOnAffected,omitempty"`
}

// Names returns the names of the hooks this package installs, in a fixed
// order.
func Names() []string { return []string{PreCommit, PrePush} }

// Modes returns the modes the named hook accepts, its default first, or nil
// for an unknown hook.
func Modes(name string) []Mode {
	switch name {
	case PreCommit:
		return []Mode{ModeFix, ModeCheck}
	case PrePush:
		return []Mode{ModeReport}
	}
	return nil
}

// Normalize fills in the default mode and validates h. Errors wrap
// ErrInvalidHook.
func (h Hook) Normalize() (Hook, error) {
	modes := Modes(h.Name)
	if modes == nil {
		return h, fmt.Errorf("%w: unknown hook %q (want %s)", ErrInvalidHook, h.Name, strings.Join(Names(), " or "))
	}
	if h.Mode == "" {
		h.Mode = modes[0]
	}
	ok := false
	for _, m := range modes {
		ok = ok || m == h.Mode
	}
	if !ok {
		want := make([]string, len(modes))
		for i, m := range modes {
			want[i] = string(m)
		}
		return h, fmt.Errorf("%w: %s does not support mode %q (want %s)", ErrInvalidHook, h.Name, h.Mode, strings.Join(want, " or "))
	}
	if h.FailOnAffected && h.Name != PrePush {
		return h, fmt.Errorf("%w: only pre-push takes --fail-on-affected, not %s", ErrInvalidHook, h.Name)
	}
	return h, nil
}

// RunArgs returns the arguments, after the monoctx binary, that the installed
// script runs; the hook's own arguments follow the final "--". h must be
// normalized.
//
//	hook run pre-commit --mode fix --
//	hook run pre-push --mode report --fail-on-affected --
func (h Hook) RunArgs() []string {
	args := []string{"hook", "run", h.Name, "--mode", string(h.Mode)}
	if h.FailOnAffected {
		args = append(args, "--fail-on-affected")
	}
	return append(args, "--")
}

// blocking reports whether the hook's job is to refuse the git operation, in
// which case a missing monoctx must fail it too.
func (h Hook) blocking() bool {
	return h.Mode == ModeCheck || h.FailOnAffected
}

// hasStdin reports whether git feeds the hook data on standard input, which
// the script must then hand to both the chained hook and monoctx.
func (h Hook) hasStdin() bool { return h.Name == PrePush }

const markerPrefix = "# monoctx hook v"

// marker is the script's second line.
func (h Hook) marker() string {
	s := fmt.Sprintf("%s%d name=%s mode=%s", markerPrefix, ScriptVersion, h.Name, h.Mode)
	if h.FailOnAffected {
		s += " fail-on-affected"
	}
	return s
}

// parseMarker finds the marker among the first lines of a script. ok is false
// when the script is not ours.
func parseMarker(head []byte) (h Hook, version int, ok bool) {
	lines := strings.SplitN(string(head), "\n", 6)
	for _, line := range lines[:min(len(lines), 5)] {
		rest, found := strings.CutPrefix(line, markerPrefix)
		if !found {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return h, 0, false
		}
		if _, err := fmt.Sscanf(fields[0], "%d", &version); err != nil {
			return h, 0, false
		}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "name":
				h.Name = v
			case "mode":
				h.Mode = Mode(v)
			case "fail-on-affected":
				h.FailOnAffected = true
			}
		}
		return h, version, true
	}
	return h, 0, false
}
