package golang

import (
	"maps"
	"slices"

	"github.com/monoctx/monoctx/graph/cache"
)

// The encoding of a kept closureSet: one table of every string, then the trace, then the
// closures and the analysis errors.

func encodeClosureSet(s *closureSet) []byte {
	e := newSetEncoder()
	e.closures(s)
	e.trace(s.trace)
	return e.bytes()
}

// setEncoder writes a closureSet: its closures (which SaveClosures encodes while the trace's stats
// are taken), then the trace (which goes before them in the bytes), over one table of every string (closures share most paths and
// chains, and the trace's paths are theirs).
type setEncoder struct {
	ids   map[string]uint64
	table []string
	body  cache.Encoder // the closures
	tr    cache.Encoder // the trace, written before them
}

func newSetEncoder() *setEncoder { return &setEncoder{ids: map[string]uint64{}} }

func (e *setEncoder) str(s string) uint64 {
	if i, ok := e.ids[s]; ok {
		return i
	}
	i := uint64(len(e.table))
	e.ids[s] = i
	e.table = append(e.table, s)
	return i
}

// strs writes n+1 (0 for nil, as cache.Encoder.Strings), then the strings' table ids.
func (e *setEncoder) strs(list []string) {
	if list == nil {
		e.body.Uint(0)
		return
	}
	e.body.Uint(uint64(len(list)) + 1)
	for _, s := range list {
		e.body.Uint(e.str(s))
	}
}

func (e *setEncoder) closures(s *closureSet) {
	body := &e.body
	dirs := slices.Sorted(maps.Keys(s.closures))
	body.Uint(uint64(len(dirs)))
	for _, d := range dirs {
		c := s.closures[d]
		body.Uint(e.str(d))
		body.Uint(e.str(c.MainDir))
		body.Uint(e.str(c.Module))
		body.Uint(e.str(c.ModuleDir))
		body.Bool(c.ExternalComplete)
		e.strs(c.ExternalModules)
		e.strs(c.Packages)
		// Files of one package share its chain: each chain once, by the address of its first
		// element.
		chains := map[*string]uint64{}
		var chainList [][]string
		body.Uint(uint64(len(c.Files)))
		for _, f := range c.Files {
			body.Uint(e.str(f.Path))
			if len(f.Why) == 0 {
				body.Uint(0)
				continue
			}
			k := &f.Why[0]
			i, ok := chains[k]
			if !ok || len(chainList[i]) != len(f.Why) {
				i = uint64(len(chainList))
				chains[k] = i
				chainList = append(chainList, f.Why)
			}
			body.Uint(i + 1)
		}
		body.Uint(uint64(len(chainList)))
		for _, ch := range chainList {
			e.strs(ch)
		}
	}
	fails := slices.Sorted(maps.Keys(s.failed))
	body.Uint(uint64(len(fails)))
	for _, d := range fails {
		body.Uint(e.str(d))
		body.String(s.failed[d].msg)
		body.Bool(s.failed[d].notExist)
	}
}

func (e *setEncoder) trace(trace []traceEntry) {
	body := &e.tr
	body.Uint(uint64(len(trace)))
	for _, t := range trace {
		body.Uint(e.str(t.path))
		body.Bool(t.follow)
		body.Bool(t.absent)
		if !t.absent {
			body.Uint(t.id.dev)
			body.Uint(t.id.ino)
			body.Uint(uint64(t.id.mode))
			body.Uint(t.id.size)
			body.Uint(uint64(t.id.mtime))
			body.Uint(uint64(t.id.ctime))
		}
	}
}

// bytes is the table (its lengths, then its bytes: decoded as one string, sliced), the trace, then
// the closures.
func (e *setEncoder) bytes() []byte {
	var out cache.Encoder
	out.Uint(uint64(len(e.table)))
	n := 0
	for _, t := range e.table {
		out.Uint(uint64(len(t)))
		n += len(t)
	}
	all := make([]byte, 0, n)
	for _, t := range e.table {
		all = append(all, t...)
	}
	out.String(string(all))
	return append(append(out.Bytes(), e.tr.Bytes()...), e.body.Bytes()...)
}

func decodeClosureSet(b []byte) (*closureSet, bool) {
	x, ok := newSetDecoder(b)
	if !ok {
		return nil, false
	}
	s := &closureSet{trace: x.trace()}
	x.closures(s)
	if !x.done() {
		return nil, false
	}
	return s, true
}

// setDecoder reads what setEncoder wrote: the table, the trace, then the closures, so that a run
// whose trace no longer holds does not decode them.
type setDecoder struct {
	d     *cache.Decoder
	size  int
	table []string
	bad   bool
}

func newSetDecoder(b []byte) (*setDecoder, bool) {
	x := &setDecoder{d: cache.NewDecoder(b), size: len(b)}
	nt := x.d.Uint()
	if nt > uint64(len(b)) {
		return nil, false
	}
	lens := make([]uint64, nt)
	for i := range lens {
		lens[i] = x.d.Uint()
	}
	all := x.d.String()
	x.table = make([]string, nt)
	off := uint64(0)
	for i, n := range lens {
		if n > uint64(len(all))-off {
			return nil, false
		}
		x.table[i] = all[off : off+n]
		off += n
	}
	return x, !x.d.Failed()
}

// ok reports whether nothing failed so far; done, whether the whole value decoded.
func (x *setDecoder) ok() bool   { return !x.bad && !x.d.Failed() }
func (x *setDecoder) done() bool { return !x.bad && x.d.Err() == nil }

func (x *setDecoder) str() string {
	i := x.d.Uint()
	if i >= uint64(len(x.table)) {
		x.bad = true
		return ""
	}
	return x.table[i]
}

func (x *setDecoder) count() int {
	n := x.d.Uint()
	if n > uint64(x.size) {
		x.bad = true
		return 0
	}
	return int(n)
}

func (x *setDecoder) strs() []string {
	n := x.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = x.str()
	}
	return out
}

func (x *setDecoder) trace() []traceEntry {
	d := x.d
	trace := make([]traceEntry, x.count())
	for i := range trace {
		t := &trace[i]
		t.path, t.follow, t.absent = x.str(), d.Bool(), d.Bool()
		if !t.absent {
			t.id = ident{dev: d.Uint(), ino: d.Uint(), mode: uint32(d.Uint()), size: d.Uint(), mtime: int64(d.Uint()), ctime: int64(d.Uint())}
		}
	}
	return trace
}

func (x *setDecoder) closures(s *closureSet) {
	d := x.d
	s.closures, s.failed = map[string]*Closure{}, map[string]cachedError{}
	for range x.count() {
		dir := x.str()
		c := &Closure{MainDir: x.str(), Module: x.str(), ModuleDir: x.str(), ExternalComplete: d.Bool()}
		c.ExternalModules, c.Packages = x.strs(), x.strs()
		files := make([]Input, x.count())
		chainOf := make([]uint64, len(files))
		for i := range files {
			files[i].Path = x.str()
			chainOf[i] = d.Uint()
		}
		chains := make([][]string, x.count())
		for i := range chains {
			chains[i] = x.strs()
		}
		for i, ch := range chainOf {
			switch {
			case ch == 0:
			case ch > uint64(len(chains)):
				x.bad = true
			default:
				files[i].Why = chains[ch-1]
			}
		}
		if len(files) > 0 {
			c.Files = files
		}
		s.closures[dir] = c
	}
	for range x.count() {
		dir := x.str()
		s.failed[dir] = cachedError{msg: d.String(), notExist: d.Bool()}
	}
}
