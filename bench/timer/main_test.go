package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTableHasEveryCommandAndRatios(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.txt")
	var stdout bytes.Buffer
	err := run([]string{"-title", "T", "-runs", "3", "-warmup", "0", "-C", dir, "-o", out, "-ref", "fast",
		"-cmd", "fast=true", "-cmd", "slow=sleep 0.2", "-setup", "slow=touch setup-ran"}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	table := stdout.String()
	if b, err := os.ReadFile(out); err != nil || string(b) != table {
		t.Errorf("-o file differs from stdout (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "setup-ran")); err != nil {
		t.Errorf("setup did not run: %v", err)
	}
	if !strings.Contains(table, "| fast |") || !strings.Contains(table, "| 1.00× |") {
		t.Errorf("no row for the reference with ratio 1.00×:\n%s", table)
	}
	// sleep 0.2 takes at least 200 ms whatever the load, and true far less.
	m := regexp.MustCompile(`\| slow \| ([0-9.]+) (ms|s) \|`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("no row for slow:\n%s", table)
	}
	d, err := time.ParseDuration(m[1] + m[2])
	if err != nil || d < 200*time.Millisecond {
		t.Errorf("slow's median %s%s (%v) is under 200 ms", m[1], m[2], err)
	}
}

func TestFailingCommandIsAnError(t *testing.T) {
	err := run([]string{"-runs", "1", "-cmd", "bad=echo oops >&2; exit 3"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "oops") || !strings.Contains(err.Error(), "bad") {
		t.Errorf("got %v, want an error naming bad with its stderr", err)
	}
}

func TestUnknownRefIsAnError(t *testing.T) {
	if err := run([]string{"-cmd", "a=true", "-ref", "b"}, io.Discard, io.Discard); err == nil {
		t.Error("no error for a -ref naming no command")
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int64{5, 1, 3}); got != 3 {
		t.Errorf("median of 5 1 3 = %d", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4 1 3 2 = %d, want 2 (integer mean of 2 and 3)", got)
	}
}
