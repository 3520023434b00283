package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCreatePutsTheTemporaryFileInScratchOnTheSameFileSystem(t *testing.T) {
	dir := t.TempDir()
	scratch := filepath.Join(dir, ".git", "monoctx", "tmp")
	target := filepath.Join(dir, "app", "Dockerfile.dockerignore")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Create(scratch, target)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := filepath.Dir(f.Name()); got != scratch {
		t.Errorf("temporary file in %s, want %s", got, scratch)
	}
	if !strings.HasPrefix(filepath.Base(f.Name()), strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("temporary file %s is not named after this process", f.Name())
	}
	if ents, err := os.ReadDir(filepath.Dir(target)); err != nil || len(ents) != 0 {
		t.Errorf("target directory holds %v (%v), want nothing", ents, err)
	}
	g, err := Create("", target)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(g.Name())
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if got := filepath.Dir(g.Name()); got != filepath.Dir(target) {
		t.Errorf("without scratch: temporary file in %s, want beside the target", got)
	}
}

func TestCleanStaleRemovesOnlyFilesOfExitedProcesses(t *testing.T) {
	scratch := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	files := map[string]bool{ // name → kept
		strconv.Itoa(dead) + "-123.tmp":        false,
		strconv.Itoa(os.Getpid()) + "-456.tmp": true,
		strconv.Itoa(os.Getppid()) + "-7.tmp":  true, // a live process
		"notes.txt":                            true, // not ours
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(scratch, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := CleanStale(scratch); err != nil {
		t.Fatal(err)
	}
	for name, kept := range files {
		_, err := os.Stat(filepath.Join(scratch, name))
		if got := err == nil; got != kept {
			t.Errorf("%s: kept = %v, want %v", name, got, kept)
		}
	}
	if err := CleanStale(filepath.Join(scratch, "missing")); err != nil {
		t.Errorf("a missing scratch directory: %v", err)
	}
}
