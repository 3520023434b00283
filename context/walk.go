package buildctx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// walker walks a plan in tar order and hands every entry to emit.
type walker struct {
	ctx      context.Context
	p        *plan
	emit     func(*item) error
	pending  []*item // ancestors not stored yet: stored only if something below them is
	links    map[fileID]string
	warnings []string
	it       item // reused for every entry
}

func (w *walker) warn(rel, format string, args ...any) {
	w.warnings = append(w.warnings, rel+": "+fmt.Sprintf(format, args...))
}

func (w *walker) run() error {
	w.warnings = append(w.warnings, w.p.warnings...)
	fi, err := os.Lstat(w.p.dir)
	if err != nil {
		return fmt.Errorf("reading context directory: %w", err)
	}
	return w.visitDir("", w.p.dir, fi, w.p.trie, w.p.trie.root, false)
}

// put stores an entry, after any pending ancestors.
func (w *walker) put(it *item) error {
	for _, d := range w.pending {
		if err := w.emit(d); err != nil {
			return err
		}
	}
	w.pending = w.pending[:0]
	return w.emit(it)
}

func (w *walker) wants(rel string, isDir bool) bool {
	return !w.p.exclude(rel, isDir) && w.p.include(rel, isDir)
}

func (w *walker) visit(rel, abs string, fi fs.FileInfo, n *node, inRoot bool) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if n != nil && n.root {
		inRoot = true
	}
	forced := n != nil && n.forced
	mode := fi.Mode()
	if mode.IsDir() {
		return w.visitDir(rel, abs, fi, n, inRoot, forced)
	}
	if !forced && !(inRoot && w.wants(rel, false)) {
		return nil
	}
	it := &w.it
	*it = item{Entry: Entry{Path: rel, Mode: tarMode(mode), ModTime: time.Unix(fi.ModTime().Unix(), 0)}}
	switch {
	case mode.IsRegular():
		if n != nil && n.hasData {
			it.Type, it.data, it.Size = TypeFile, n.data, int64(len(n.data))
			return w.put(it)
		}
		if id, ok := hardLinkID(fi); ok {
			if first, seen := w.links[id]; seen {
				it.Type, it.Linkname = TypeHardlink, first
				return w.put(it)
			}
			if w.links == nil {
				w.links = map[fileID]string{}
			}
			w.links[id] = rel
		}
		it.Type, it.Size, it.abs = TypeFile, fi.Size(), abs
		return w.put(it)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(abs)
		if err != nil {
			return fmt.Errorf("reading symlink %q: %w", rel, err)
		}
		if leavesContext(rel, target) {
			w.warn(rel, "symlink target %q is outside the context; stored as a link, not followed", target)
		}
		it.Type, it.Linkname = TypeSymlink, target
		return w.put(it)
	default:
		w.warn(rel, "skipped %s", kindOf(mode))
		return nil
	}
}

func (w *walker) visitDir(rel, abs string, fi fs.FileInfo, n *node, inRoot, forced bool) error {
	descendAll := inRoot
	depth := len(w.pending)
	if rel != "" {
		excluded := inRoot && w.p.exclude(rel, true)
		included := inRoot && w.p.include(rel, true)
		descendAll = included && (!excluded || w.p.canDescend(rel))
		if !inRoot && w.p.exclude(rel, true) && !w.p.canDescend(rel) {
			// A directory on the way to a root that the ignore file prunes: as with Docker,
			// nothing below it is sent, except the files that are always stored.
			n = forcedOnly(n)
		}
		d := &item{Entry: Entry{Path: rel, Type: TypeDir, Mode: tarMode(fi.Mode()), ModTime: time.Unix(fi.ModTime().Unix(), 0)}}
		if forced || (included && !excluded) {
			if err := w.put(d); err != nil {
				return err
			}
		} else {
			w.pending = append(w.pending, d)
		}
	}
	if !descendAll && inRoot {
		n = forcedOnly(n)
	}
	if err := w.children(rel, abs, n, inRoot, descendAll); err != nil {
		return err
	}
	if len(w.pending) > depth {
		w.pending = w.pending[:depth]
	}
	return nil
}

// forcedOnly keeps the trie node only when something below it must be stored anyway.
func forcedOnly(n *node) *node {
	if n == nil || !n.forcedBelow {
		return nil
	}
	return &node{children: n.children, forced: n.forced, forcedBelow: true, data: n.data, hasData: n.hasData, onlyForced: true}
}

func (w *walker) children(rel, abs string, n *node, inRoot, all bool) error {
	var names []string
	if all {
		f, err := os.Open(abs)
		if err != nil {
			return fmt.Errorf("reading directory %q: %w", displayRel(rel), err)
		}
		names, err = f.Readdirnames(-1)
		cerr := f.Close()
		if err != nil {
			return fmt.Errorf("reading directory %q: %w", displayRel(rel), err)
		}
		if cerr != nil {
			return fmt.Errorf("closing directory %q: %w", displayRel(rel), cerr)
		}
	} else if n != nil {
		names = make([]string, 0, len(n.children))
		for name, c := range n.children {
			if n.onlyForced && !c.forcedBelow {
				continue
			}
			names = append(names, name)
		}
	}
	var virtual []*item
	if rel == "" {
		virtual = w.p.virtual
	}
	sort.Strings(names)
	for i := 0; i < len(names) || len(virtual) > 0; {
		if len(virtual) > 0 && (i == len(names) || virtual[0].Path < names[i]) {
			if err := w.put(virtual[0]); err != nil {
				return err
			}
			virtual = virtual[1:]
			continue
		}
		name := names[i]
		i++
		crel := name
		if rel != "" {
			crel = rel + "/" + name
		}
		cabs := filepath.Join(abs, name)
		c := n.child(name)
		if c != nil && n.onlyForced && !c.forcedBelow {
			c = nil
		}
		if c != nil && n.onlyForced {
			c = forcedOnly(c)
		}
		cfi, err := os.Lstat(cabs)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if !all {
					return fmt.Errorf("context path %q does not exist", crel)
				}
				continue // removed while walking
			}
			return fmt.Errorf("reading %q: %w", crel, err)
		}
		if !all && c == nil {
			continue
		}
		if err := w.visit(crel, cabs, cfi, c, inRoot); err != nil {
			return err
		}
	}
	return nil
}

func displayRel(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// leavesContext reports whether a symlink at rel with this target points outside the context.
// Absolute targets count as outside: the image keeps them absolute.
func leavesContext(rel, target string) bool {
	if strings.HasPrefix(target, "/") {
		return true
	}
	j := path.Join(path.Dir(rel), target)
	return j == ".." || strings.HasPrefix(j, "../")
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "irregular file"
	}
}

// tarMode keeps the permission bits plus setuid, setgid and sticky.
func tarMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}
