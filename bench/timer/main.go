// Command timer runs shell commands side by side for scripts/bench: N interleaved runs (the order
// rotates each round, so no command always runs right after another), each timed as a whole
// process, and prints a table of medians, ranges, peak RSS and ratios.
//
//	timer -title T -runs 5 -ref git -cmd 'monoctx=monoctx affected …' -cmd 'git=git diff --name-only …'
//
// Peak RSS is wait4's ru_maxrss of the command's process tree: the number `/usr/bin/time -f %M`
// prints. A setup command (-setup NAME=CMD) runs before each run of NAME, untimed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type command struct {
	name, shell, setup string
	wall, cpu          []time.Duration
	rssKB              []int64
}

type list []string

func (l *list) String() string     { return strings.Join(*l, "; ") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "timer:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("timer", flag.ContinueOnError)
	var cmds, setups list
	fs.Var(&cmds, "cmd", "NAME=shell command to time (repeatable; the table keeps this order)")
	fs.Var(&setups, "setup", "NAME=shell command run before each run of NAME, untimed")
	title := fs.String("title", "", "table title")
	runs := fs.Int("runs", 5, "timed runs of each command")
	warmup := fs.Int("warmup", 1, "untimed runs of each command first")
	refs := fs.String("ref", "", "comma-separated names to give ratios against")
	dir := fs.String("C", ".", "directory the commands run in")
	out := fs.String("o", "", "append the table to this file as well")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if abs, err := filepath.Abs(*dir); err == nil {
		*dir = abs
	}
	var all []*command
	byName := map[string]*command{}
	for _, c := range cmds {
		name, sh, ok := strings.Cut(c, "=")
		if !ok || name == "" || byName[name] != nil {
			return fmt.Errorf("-cmd %q: want a new NAME=COMMAND", c)
		}
		byName[name] = &command{name: name, shell: sh}
		all = append(all, byName[name])
	}
	for _, s := range setups {
		name, sh, _ := strings.Cut(s, "=")
		if byName[name] == nil {
			return fmt.Errorf("-setup %q: no -cmd named %q", s, name)
		}
		byName[name].setup = sh
	}
	var refList []string
	for _, r := range strings.Split(*refs, ",") {
		if r == "" {
			continue
		}
		if byName[r] == nil {
			return fmt.Errorf("-ref %q: no -cmd of that name", r)
		}
		refList = append(refList, r)
	}
	if len(all) == 0 {
		return errors.New("no -cmd")
	}
	load0 := loadavg()
	for round := -*warmup; round < *runs; round++ {
		for i := range all {
			c := all[(i+max(round, 0))%len(all)]
			if c.setup != "" {
				if _, _, _, err := sh(*dir, c.setup); err != nil {
					return fmt.Errorf("setup of %s: %w", c.name, err)
				}
			}
			wall, cpu, rss, err := sh(*dir, c.shell)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round >= 0 {
				c.wall = append(c.wall, wall)
				c.cpu = append(c.cpu, cpu)
				c.rssKB = append(c.rssKB, rss)
			}
			fmt.Fprintf(stderr, "  %-28s %8.3f s %8.3f s CPU %7.1f MB\n", c.name, wall.Seconds(), cpu.Seconds(), float64(rss)/1024)
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", *title)
	fmt.Fprintf(&b, "in %s; median of %d interleaved runs after %d warm-up; load average %s → %s (2 cores, shared)\n\n", *dir, *runs, *warmup, load0, loadavg())
	fmt.Fprintf(&b, "| command | median | min – max | CPU | peak RSS |")
	for _, r := range refList {
		fmt.Fprintf(&b, " ÷ %s |", r)
	}
	fmt.Fprintf(&b, "\n|---|---:|---:|---:|---:|%s\n", strings.Repeat("---:|", len(refList)))
	for _, c := range all {
		fmt.Fprintf(&b, "| %s | %s | %s – %s | %s | %.1f MB |", c.name, dur(median(c.wall)), dur(minOf(c.wall)), dur(maxOf(c.wall)), dur(median(c.cpu)), float64(maxOf(c.rssKB))/1024)
		for _, r := range refList {
			fmt.Fprintf(&b, " %.2f× |", float64(median(c.wall))/float64(median(byName[r].wall)))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nmedian and min – max: wall time; CPU: median user + system time of the process and its children (less sensitive to the load); peak RSS: the largest of the runs.\n")
	b.WriteString("\nwhere\n")
	for _, c := range all {
		fmt.Fprintf(&b, "- %s: `%s`", c.name, c.shell)
		if c.setup != "" {
			fmt.Fprintf(&b, " (before each run, untimed: `%s`)", c.setup)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return err
	}
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(b.Bytes()); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}

// sh runs script with bash in dir, output discarded (stderr kept for an error), and returns its
// wall time, CPU time (user + system, children included) and peak RSS in KiB.
func sh(dir, script string) (time.Duration, time.Duration, int64, error) {
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 2000 {
			msg = "…" + msg[len(msg)-2000:]
		}
		return 0, 0, 0, fmt.Errorf("`%s`: %v\n%s", script, err, msg)
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), peakRSS(cmd.ProcessState), nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func dur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func median[T int64 | time.Duration](v []T) T {
	s := append([]T(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf[T int64 | time.Duration](v []T) T {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf[T int64 | time.Duration](v []T) T {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
