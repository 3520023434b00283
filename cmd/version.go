package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"golang.org/x/mod/module"
)

// Stamped by `make build` and `make release` with
// -ldflags "-X github.com/monoctx/monoctx/cmd.version=v1.2.3 -X github.com/monoctx/monoctx/cmd.commit=SHA".
// Empty in `go install` builds, which take both from the build info instead.
var (
	version string
	commit  string
)

// buildVersion is what `monoctx version` prints.
type buildVersion struct {
	Version string
	Commit  string
	Go      string
}

func (v buildVersion) String() string {
	return fmt.Sprintf("monoctx %s\ncommit: %s\ngo: %s %s/%s\n", v.Version, v.Commit, v.Go, runtime.GOOS, runtime.GOARCH)
}

// currentVersion is the stamped version, or what the Go toolchain recorded in the binary.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, bi)
}

// resolveVersion prefers the -ldflags stamp; for `go install module@v1.2.3` it takes the module
// version, and the commit from the VCS stamp (a local build) or from a pseudo-version (go install @main).
func resolveVersion(stampVersion, stampCommit string, bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: stampVersion, Commit: stampCommit, Go: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if v.Commit == "" {
			var rev, modified string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			switch {
			case rev != "" && modified == "true":
				v.Commit = rev + "-dirty"
			case rev != "":
				v.Commit = rev
			case module.IsPseudoVersion(v.Version):
				v.Commit, _ = module.PseudoVersionRev(v.Version)
			}
		}
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print monoctx's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(env.Out, currentVersion())
			return err
		},
	}
}
