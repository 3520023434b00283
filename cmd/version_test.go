package cmd

import (
	"runtime/debug"
	"testing"
)

// TestResolveVersionPrefersTheStampThenTheBuildInfo: -ldflags wins; `go install @v1.2.3` gives the
// module version, a local build its VCS revision, `go install @main` the commit of its pseudo-version.
func TestResolveVersionPrefersTheStampThenTheBuildInfo(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/monoctx/monoctx", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		name                 string
		stampV, stampC       string
		bi                   *debug.BuildInfo
		wantVersion, wantCom string
	}{
		{"stamped", "v1.2.3", "abc123", info("v9.9.9", "vcs.revision", "fff"), "v1.2.3", "abc123"},
		{"go install at a tag", "", "", info("v1.4.0"), "v1.4.0", "unknown"},
		{"go install at a branch", "", "", info("v0.0.0-20260101120000-0123456789ab"), "v0.0.0-20260101120000-0123456789ab", "0123456789ab"},
		{"local build with VCS stamp", "", "", info("(devel)", "vcs.revision", "deadbeef", "vcs.modified", "false"), "(devel)", "deadbeef"},
		{"local build of a dirty tree", "", "", info("(devel)", "vcs.revision", "deadbeef", "vcs.modified", "true"), "(devel)", "deadbeef-dirty"},
		{"no build info", "", "", nil, "(devel)", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveVersion(tc.stampV, tc.stampC, tc.bi)
			if got.Version != tc.wantVersion || got.Commit != tc.wantCom {
				t.Errorf("got version %q commit %q, want %q %q", got.Version, got.Commit, tc.wantVersion, tc.wantCom)
			}
			if tc.bi != nil && got.Go != "go1.99.1" {
				t.Errorf("got Go %q, want the build info's go1.99.1", got.Go)
			}
		})
	}
}
