package discover

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
)

// Keeper keeps what Find found across runs, vouched for by what it read (see graph's kept
// discovery): on a large repository discovery's parses of Makefiles, workflows and compose files
// are a sixth of a warm run.
type Keeper interface {
	// Kept is the value kept under key, when what it read still reads the same.
	Kept(key string) ([]byte, bool)
	// Tracing is the view Find reads through when nothing is kept: it records what is read.
	Tracing(v tree.View) tree.View
	// Keep keeps val under key, with what the view Tracing gave recorded, when that can vouch
	// for it.
	Keep(key string, val []byte)
}

// keptKind names the encoding of a kept Result, and what Find computes: change the number when
// either changes.
const keptKind = "discovery/2"

// keptKey is what a Find's result depends on besides the files it reads: the root, the options
// and the environment (compose and bake read variables of any name), and the listing (which
// files are candidates, which Dockerfiles exist).
func keptKey(root string, opts Options, files []string) string {
	h := sha256.New()
	write := func(s string) { h.Write([]byte(strconv.Itoa(len(s)) + ":" + s)) }
	write(keptKind)
	write(root)
	write(strconv.FormatBool(opts.Dockerfiles))
	for _, list := range [][]string{opts.Skip, opts.Env, files} {
		write(strconv.Itoa(len(list)))
		for _, s := range list {
			write(s)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keepable reads, through the tracing view v, what compose-go reads from the OS itself (each
// compose file and its project's .env), so that the trace holds it too; it reports false when a
// compose file includes or extends others (read from paths the trace does not know).
func (f *finder) keepable(v tree.View) bool {
	if len(f.res.Broken) > 0 {
		return false // an error's cause is not kept: the next run reports it afresh
	}
	for _, p := range f.res.Files {
		if !isComposeFile(path.Base(p)) {
			continue
		}
		data, err := v.ReadFile(p)
		if err != nil || bytes.Contains(data, []byte("include")) || bytes.Contains(data, []byte("extends")) {
			return false
		}
		_, _ = v.ReadFile(path.Join(path.Dir(p), ".env")) // missing, or read: either is recorded
	}
	return true
}

func encodeResult(r *Result) []byte {
	var e cache.Encoder
	e.Strings(r.Files)
	e.Strings(r.Warnings)
	e.Uint(uint64(len(r.Builds)))
	for _, b := range r.Builds {
		e.String(b.Name)
		e.String(b.Dockerfile)
		e.String(b.Context)
		e.String(b.Target)
		e.Map(b.Args)
		e.Strings(b.Tags)
		e.Strings(b.Platforms)
		e.Map(b.Contexts)
		e.Bool(b.Stdin)
		e.String(b.Source)
		e.String(b.File)
		e.Uint(uint64(b.Line))
		e.String(b.Group)
		e.Bool(b.Guess)
		e.Uint(uint64(b.Specificity))
		e.Strings(b.Unresolved)
	}
	return e.Bytes()
}

// decodeResult is the Result encodeResult wrote, over the listing t.
func decodeResult(val []byte, t *fileTree) (*Result, bool) {
	d := cache.NewDecoder(val)
	r := &Result{tree: t, Files: d.Strings(), Warnings: d.Strings()}
	n := d.Uint()
	if n > uint64(len(val)) {
		return nil, false
	}
	for range n {
		b := Build{Name: d.String(), Dockerfile: d.String(), Context: d.String(), Target: d.String(), Args: d.Map(),
			Tags: d.Strings(), Platforms: d.Strings(), Contexts: d.Map(), Stdin: d.Bool(), Source: d.String(),
			File: d.String(), Line: int(d.Uint()), Group: d.String(), Guess: d.Bool(), Specificity: int(d.Uint()),
			Unresolved: d.Strings()}
		if d.Failed() {
			return nil, false
		}
		r.Builds = append(r.Builds, b)
	}
	if d.Err() != nil {
		return nil, false
	}
	return r, true
}
