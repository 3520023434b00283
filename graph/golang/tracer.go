package golang

import (
	"io/fs"
	"time"

	"github.com/monoctx/monoctx/graph/cache"
)

// Tracer records what another analysis reads (discovery's definition files), so that its result
// can be kept across runs as the closures are: vouched for by the stat identity of every path it
// read, listed or looked for. Paths are absolute.
type Tracer struct{ rec *recorder }

// NewTracer is a Tracer that has recorded nothing.
func NewTracer() *Tracer { return &Tracer{rec: newRecorder()} }

// Read records a read of the file p that returned err.
func (t *Tracer) Read(p string, err error) { t.rec.result(obsRead, p, err) }

// List records a listing of the directory p that returned err.
func (t *Tracer) List(p string, err error) { t.rec.result(obsList, p, err) }

// Stat records a Stat of p and its answer.
func (t *Tracer) Stat(p string, fi fs.FileInfo, err error) {
	tracedFS{rec: t.rec}.stat(obsStat, p, fi, err)
}

// Lstat records an Lstat of p and its answer.
func (t *Tracer) Lstat(p string, fi fs.FileInfo, err error) {
	tracedFS{rec: t.rec}.stat(obsLstat, p, fi, err)
}

// Trace is the identity of every path recorded, taken now. ok is false when it cannot vouch for
// them: a read failed other than by a missing path, something changed during the run or less
// than a second before since, or this system's stats carry no identity. indexFile is as for
// WithClosureCache.
func (t *Tracer) Trace(root string, since time.Time, indexFile string) (tr Trace, ok bool) {
	entries, err := t.rec.entries(root, since, indexFile, false)
	return Trace{entries}, err == nil
}

// Trace is what a Tracer recorded, as stat identities of paths relative to a root.
type Trace struct{ entries []traceEntry }

// Holds reports whether every path of the trace still has the identity it had: what was read
// then reads the same now.
func (t Trace) Holds(root string) bool { return holds(root, t.entries) }

// Encode writes the trace.
func (t Trace) Encode(e *cache.Encoder) {
	e.Uint(uint64(len(t.entries)))
	for _, x := range t.entries {
		e.String(x.path)
		e.Bool(x.follow)
		e.Bool(x.absent)
		if !x.absent {
			e.Uint(x.id.dev)
			e.Uint(x.id.ino)
			e.Uint(uint64(x.id.mode))
			e.Uint(x.id.size)
			e.Uint(uint64(x.id.mtime))
			e.Uint(uint64(x.id.ctime))
		}
	}
}

// DecodeTrace reads what Encode wrote; d's error says whether it did.
func DecodeTrace(d *cache.Decoder) Trace {
	n := d.Uint()
	entries := make([]traceEntry, 0, min(n, 4096)) // a corrupt count fails below, not here
	for range n {
		if d.Failed() {
			return Trace{}
		}
		x := traceEntry{path: d.String(), follow: d.Bool(), absent: d.Bool()}
		if !x.absent {
			x.id = ident{dev: d.Uint(), ino: d.Uint(), mode: uint32(d.Uint()), size: d.Uint(), mtime: int64(d.Uint()), ctime: int64(d.Uint())}
		}
		entries = append(entries, x)
	}
	return Trace{entries}
}
