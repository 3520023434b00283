package graph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSymlinkTargetsStopsAtALoopAndNamesTheLink(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "libs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, dest := range map[string]string{"libs/loop1": "loop2", "libs/loop2": "loop1", "libs/self": "self", "libs/real": "../data"} {
		if err := os.Symlink(dest, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ src, wantErr string }{
		{"libs/loop1/x", "the symlink libs/loop1 -> loop2 is a loop"},
		{"libs/self", "the symlink libs/self -> self is a loop"},
	} {
		hops, err := symlinkTargets(context.Background(), files{}, root, ".", tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: got error %v, want %q", tc.src, err, tc.wantErr)
		}
		if len(hops) > 2 {
			t.Errorf("%s: got %d hops, want each link once: %v", tc.src, len(hops), hops)
		}
	}
	hops, err := symlinkTargets(context.Background(), files{}, root, ".", "libs/real/f")
	if err != nil || len(hops) != 1 || hops[0].target != "data/f" {
		t.Errorf("libs/real/f: got %v, %v; want one hop to data/f", hops, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := symlinkTargets(ctx, files{}, root, ".", "libs/loop1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}
