package graph

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/golang"
	"github.com/monoctx/monoctx/graph/tree"
)

// Cache kinds of results kept by a trace: the trace of what computing them read, then the
// result's encoding.
const (
	keptDiscoveryKind  cache.Kind = "kept-discovery/1"  // discover's encoding of its Result
	keptBuildLinesKind cache.Kind = "kept-buildlines/2" // the artifact trace's build lines
)

// keptByTrace keeps a result across runs in the parse cache, as the Go closures are
// (WithClosureCache): with the stat identity of every file computing it read, every path it
// looked for and every directory it listed or statted, so that a run whose trace holds computes
// nothing. The key holds the rest of what the result depends on. Discovery's (a discover.Keeper)
// spares a warm run the parses of its Makefiles, workflows and compose files; the build lines',
// those of every build script.
type keptByTrace struct {
	kind  cache.Kind
	c     *cache.Cache
	root  string
	since time.Time // when the run began: a file changed after it (or just before) is not vouched for
	index string    // git's index, for a view that answers paths from it (a sparse checkout)
	rec   *golang.Tracer
	// commit, when set, is the object id of the commit the view reads (--head <sha>): its tree
	// cannot change, so the result is kept under it with no trace.
	commit string
	failed atomic.Bool // a read of the commit's tree failed other than by a missing path
}

func (k *keptByTrace) Kept(key string) ([]byte, bool) {
	if k.commit != "" {
		return k.c.Get(k.kind, k.commit+"\x00"+key, "")
	}
	v, ok := k.c.Get(k.kind, key, "")
	if !ok {
		return nil, false
	}
	d := cache.NewDecoder(v)
	trace := golang.DecodeTrace(d)
	val := d.String()
	if d.Err() != nil || !trace.Holds(k.root) {
		return nil, false
	}
	return []byte(val), true
}

func (k *keptByTrace) Tracing(v tree.View) tree.View {
	if k.commit != "" {
		return &failView{View: v, failed: &k.failed}
	}
	k.rec = golang.NewTracer()
	return &tracedView{View: v, rec: k.rec}
}

func (k *keptByTrace) Keep(key string, val []byte) {
	if k.commit != "" {
		if !k.failed.Load() { // a blob a partial clone lacked may be there next time
			k.c.Put(k.kind, k.commit+"\x00"+key, "", val)
		}
		return
	}
	if k.rec == nil {
		return
	}
	trace, ok := k.rec.Trace(k.root, k.since, k.index)
	if !ok {
		return
	}
	var e cache.Encoder
	trace.Encode(&e)
	e.String(string(val))
	k.c.Put(k.kind, key, "", e.Bytes())
}

// tracedView is a view that records what is read through it, by absolute path. Its listing is
// not recorded: the key holds it.
type tracedView struct {
	tree.View
	rec *golang.Tracer
}

func (v *tracedView) Unwrap() tree.View { return v.View }

func (v *tracedView) abs(name string) string {
	return filepath.Join(v.Root(), filepath.FromSlash(path.Clean(name)))
}

func (v *tracedView) ReadFile(name string) ([]byte, error) {
	b, err := v.View.ReadFile(name)
	v.rec.Read(v.abs(name), err)
	return b, err
}

func (v *tracedView) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := v.View.ReadDir(name)
	v.rec.List(v.abs(name), err)
	return ents, err
}

func (v *tracedView) Stat(name string) (fs.FileInfo, error) {
	fi, err := v.View.Stat(name)
	v.rec.Stat(v.abs(name), fi, err)
	return fi, err
}

func (v *tracedView) Lstat(name string) (fs.FileInfo, error) {
	fi, err := v.View.Lstat(name)
	v.rec.Lstat(v.abs(name), fi, err)
	return fi, err
}

// ReadLink records the link's Lstat: retargeting a link changes its identity.
func (v *tracedView) ReadLink(name string) (string, error) {
	t, err := v.View.ReadLink(name)
	fi, lerr := v.View.Lstat(name)
	v.rec.Lstat(v.abs(name), fi, lerr)
	return t, err
}

// failView notes a read of a commit's tree that failed other than by a missing path.
type failView struct {
	tree.View
	failed *atomic.Bool
}

func (v *failView) Unwrap() tree.View { return v.View }

func (v *failView) note(err error) {
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		v.failed.Store(true)
	}
}

func (v *failView) ReadFile(name string) ([]byte, error) {
	b, err := v.View.ReadFile(name)
	v.note(err)
	return b, err
}

func (v *failView) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := v.View.ReadDir(name)
	v.note(err)
	return ents, err
}

func (v *failView) Stat(name string) (fs.FileInfo, error) {
	fi, err := v.View.Stat(name)
	v.note(err)
	return fi, err
}

func (v *failView) Lstat(name string) (fs.FileInfo, error) {
	fi, err := v.View.Lstat(name)
	v.note(err)
	return fi, err
}

func (v *failView) ReadLink(name string) (string, error) {
	t, err := v.View.ReadLink(name)
	v.note(err)
	return t, err
}
