// Package cache is monoctx's content-addressed cache of what parsing produced: the imports and
// //go:embed patterns of a Go file, a package.json manifest, a Dockerfile's analysis. A value is
// keyed by git's blob id of the file it was parsed from, a kind (which names the parse and its
// encoding, with a schema number) and an extra string for the parse's other inputs; the pack files
// it lives in are tagged with monoctx's version, so another build never reads them.
//
// Layout: the directory (by convention <git common dir>/monoctx/cache, shared by linked worktrees)
// holds pack files. A run reads every pack of its version once, on the first Get, and keeps their
// sorted indexes in memory; Flush writes what the run added as one new pack (a temporary file
// renamed into place, so a reader sees a whole pack or none). A pack whose checksum or bounds do
// not hold is a miss and is removed, never an answer. When the packs exceed the size limit or
// their number exceeds maxPacks, Flush merges them into one, dropping the entries least recently
// written or used by a merging run first, until the cache fits in three quarters of the limit.
//
// Concurrent runs never write the same file: each names its pack by time and a random suffix, and
// a merging run removes only the packs it read. A run that lists a pack another run then removes
// misses it (and parses again); nothing is ever half-read.
package cache

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monoctx/monoctx/internal/atomicfile"
)

// Blobs gives git's blob id of a repository file when git already knows it without reading the
// file: a commit's blob, or an index entry of a file the work tree has not modified. Names are
// repository-relative and slash-separated. graph/tree's views implement it.
type Blobs interface {
	BlobID(name string) (id string, ok bool)
}

// BlobID is git's blob id of data: the hex SHA-1 of "blob <len>\x00" followed by data, what
// `git hash-object` prints.
func BlobID(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// Kind names a parse and its encoding, with a schema number ("go-file/1"): change the number when
// either changes, so old entries are never decoded by new code.
type Kind string

// DefaultLimit is the size the cache directory is kept under: 64 MiB holds the parses of about
// 200,000 Go files.
const DefaultLimit = 64 << 20

// maxPacks is the number of packs a run reads before Flush merges them: each pack is one read.
const maxPacks = 8

// DirName is the cache's directory under git's common directory.
const DirName = "monoctx/cache"

// Dir is the cache directory of the repository whose git common directory (`git rev-parse
// --git-common-dir`) is commonDir.
func Dir(commonDir string) string { return filepath.Join(commonDir, filepath.FromSlash(DirName)) }

// Option configures Open.
type Option func(*Cache)

// WithLimit sets the size limit in bytes (DefaultLimit when n <= 0).
func WithLimit(n int64) Option {
	return func(c *Cache) {
		if n > 0 {
			c.limit = n
		}
	}
}

// WithScratch puts temporary files in dir (see internal/atomicfile) instead of beside the packs.
func WithScratch(dir string) Option { return func(c *Cache) { c.scratch = dir } }

// Cache is one run's handle on a cache directory. It reads the directory on the first Get and
// writes only in Flush. A nil *Cache is a cache that is off: Get misses, Put and Flush do nothing.
// It is safe for concurrent use.
type Cache struct {
	dir     string
	tag     string // of the version, in pack names
	limit   int64
	scratch string

	loadOnce sync.Once
	// loadedPacks is the number of packs of this version the load found.
	loadedPacks int
	index       map[key]ref // every entry of the packs read, built once; never modified after

	mu      sync.Mutex // guards what follows, used by Put and Flush
	packs   []*pack    // of this version, newest first: read on the first Get, or written
	others  []packName // packs of other versions
	broken  []string   // packs that failed their checks
	added   map[key][]byte
	pending []key // added, not yet written

	hits atomic.Int64
	miss atomic.Int64
}

// ref is an entry of a pack.
type ref struct {
	p *pack
	i int32
}

type key [20]byte

// Open returns the cache in dir for the monoctx build version (any string that changes when the
// code that produces or encodes values may have changed). It touches nothing on disk.
func Open(dir, version string, opts ...Option) *Cache {
	sum := sha256.Sum256([]byte(version))
	c := &Cache{dir: dir, tag: hex.EncodeToString(sum[:8]), limit: DefaultLimit, added: map[key][]byte{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

func makeKey(kind Kind, id, extra string) key {
	var buf [256]byte
	b := append(buf[:0], kind...)
	b = append(b, 0)
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, extra...)
	sum := sha256.Sum256(b)
	return key(sum[:20])
}

// Get returns the value stored for kind, the blob id and extra, if any. The returned slice must
// not be modified.
func (c *Cache) Get(kind Kind, id, extra string) ([]byte, bool) {
	if c == nil || id == "" {
		return nil, false
	}
	c.loadOnce.Do(c.load)
	k := makeKey(kind, id, extra)
	if r, ok := c.index[k]; ok {
		c.hits.Add(1)
		r.p.used[r.i].Store(true)
		return r.p.entries[r.i].val, true
	}
	c.mu.Lock()
	v, ok := c.added[k]
	c.mu.Unlock()
	if !ok {
		c.miss.Add(1)
	}
	return v, ok
}

// Put stores val for kind, the blob id and extra; Flush writes it. val is copied.
func (c *Cache) Put(kind Kind, id, extra string, val []byte) {
	if c == nil || id == "" {
		return
	}
	k := makeKey(kind, id, extra)
	c.mu.Lock()
	if _, ok := c.added[k]; !ok {
		c.pending = append(c.pending, k)
	}
	c.added[k] = bytes.Clone(val)
	c.mu.Unlock()
}

// Warm reports whether the cache held values of this version when the run began (it reads the
// directory, as the first Get does): values that only a later run can use, and that cost the
// run writing them (the Go closures with their trace), are worth writing when a run before this
// one left a cache, not in a fresh clone that no run will see again.
func (c *Cache) Warm() bool {
	if c == nil {
		return false
	}
	c.loadOnce.Do(c.load)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loadedPacks > 0
}

// Stats returns the number of hits and misses of Get so far.
func (c *Cache) Stats() (hits, misses int64) {
	if c == nil {
		return 0, 0
	}
	return c.hits.Load(), c.miss.Load()
}

// ID returns the blob id of the repository file name: from blobs when it knows it, else by
// hashing what read returns. data is what read returned, nil when blobs knew the id. A nil cache
// returns "" and reads nothing, so callers read the file themselves.
func (c *Cache) ID(blobs Blobs, name string, read func() ([]byte, error)) (id string, data []byte, err error) {
	if c == nil {
		return "", nil, nil
	}
	if blobs != nil {
		if id, ok := blobs.BlobID(name); ok {
			return id, nil, nil
		}
	}
	data, err = read()
	if err != nil {
		return "", nil, err
	}
	return BlobID(data), data, nil
}

// packName is a pack file's name, parsed: <tag>-<unix nanoseconds>-<random>.pack.
type packName struct {
	name string
	tag  string
	time int64
	size int64
}

func parsePackName(name string) (packName, bool) {
	base, ok := strings.CutSuffix(name, ".pack")
	if !ok {
		return packName{}, false
	}
	parts := strings.Split(base, "-")
	if len(parts) != 3 {
		return packName{}, false
	}
	t, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return packName{}, false
	}
	return packName{name: name, tag: parts[0], time: t}, true
}

// list returns the packs in the directory, oldest first.
func (c *Cache) list() ([]packName, error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	var out []packName
	for _, e := range ents {
		if pn, ok := parsePackName(e.Name()); ok && e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				pn.size = fi.Size()
				out = append(out, pn)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].time != out[j].time {
			return out[i].time < out[j].time
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

func (c *Cache) load() {
	c.index = map[key]ref{}
	names, err := c.list()
	if err != nil {
		return // no directory yet, or unreadable: every Get misses
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, pn := range names {
		if pn.tag != c.tag {
			c.others = append(c.others, pn)
			continue
		}
		data, err := os.ReadFile(filepath.Join(c.dir, pn.name))
		if err != nil {
			continue // removed by a merging run since the listing: a miss
		}
		p, err := decodePack(data)
		if err != nil {
			c.broken = append(c.broken, pn.name)
			continue
		}
		p.name = pn
		c.packs = append(c.packs, p)
		c.loadedPacks++
		n += len(p.entries)
	}
	// The newest first. A key in two packs has the newest pack's value: for a parse of a blob
	// both are the same, but a value that is replaced by writing its key again (the Go closures
	// with the trace that vouches for them) must be the last one written, as merge keeps it.
	slices.Reverse(c.packs)
	c.index = make(map[key]ref, n)
	for _, p := range slices.Backward(c.packs) {
		for i := range p.entries {
			c.index[p.entries[i].key] = ref{p, int32(i)}
		}
	}
}

// Flush writes the values Put since the last Flush as one new pack, removes packs that failed
// their checks, and merges the packs when there are too many or they exceed the limit. A cache
// that cannot be written is not an error for the run: Flush's error is for the caller to report
// as a warning.
func (c *Cache) Flush() error {
	if c == nil {
		return nil
	}
	c.loadOnce.Do(c.load)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range c.broken {
		_ = os.Remove(filepath.Join(c.dir, name))
	}
	c.broken = nil
	var size int64
	for _, p := range c.packs {
		size += p.name.size
	}
	for _, o := range c.others {
		size += o.size
	}
	if len(c.pending) == 0 && len(c.packs) <= maxPacks && size <= c.limit {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("writing the parse cache: %w", err)
	}
	now := time.Now()
	if len(c.pending) > 0 {
		fresh := make([]packEntry, 0, len(c.pending))
		for _, k := range c.pending {
			fresh = append(fresh, packEntry{key: k, stamp: uint32(now.Unix()), val: c.added[k]})
		}
		pn, err := c.write(fresh, now)
		if err != nil {
			return err
		}
		size += pn.size
		c.pending = nil
		c.packs = append([]*pack{{name: pn, entries: fresh, used: make([]atomic.Bool, len(fresh))}}, c.packs...)
	}
	if len(c.packs) <= maxPacks && size <= c.limit {
		return nil
	}
	return c.merge(now)
}

// merge writes every entry of this version's packs into one new pack, the most recently written
// or used first, up to three quarters of the limit, then removes the packs it merged, and packs
// of other versions (oldest first) while the directory exceeds the limit.
func (c *Cache) merge(now time.Time) error {
	stamp := uint32(now.Unix())
	seen := map[key]bool{}
	var all []packEntry
	for _, p := range c.packs {
		for i, e := range p.entries {
			if seen[e.key] {
				continue
			}
			seen[e.key] = true
			if p.used[i].Load() {
				e.stamp = stamp
			}
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].stamp > all[j].stamp })
	budget := c.limit * 3 / 4
	var kept []packEntry
	var size int64
	for _, e := range all {
		n := int64(entrySize + len(e.val))
		if size+n > budget {
			continue
		}
		size += n
		kept = append(kept, e)
	}
	pn, err := c.write(kept, now)
	if err != nil {
		return err
	}
	for _, p := range c.packs {
		_ = os.Remove(filepath.Join(c.dir, p.name.name))
	}
	c.packs = []*pack{{name: pn, entries: kept, used: make([]atomic.Bool, len(kept))}}
	total := pn.size
	for _, o := range c.others {
		total += o.size
	}
	var errs []error
	for len(c.others) > 0 && total > c.limit {
		o := c.others[0]
		c.others = c.others[1:]
		if err := os.Remove(filepath.Join(c.dir, o.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		total -= o.size
	}
	return errors.Join(errs...)
}

// write writes entries (sorting them) as a new pack and returns its name.
func (c *Cache) write(entries []packEntry, now time.Time) (packName, error) {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("%s-%d-%s.pack", c.tag, now.UnixNano(), hex.EncodeToString(rnd[:]))
	target := filepath.Join(c.dir, name)
	data := encodePack(entries)
	f, err := atomicfile.Create(c.scratch, target)
	if err != nil {
		return packName{}, fmt.Errorf("writing the parse cache: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // as git's own files: readable by whoever may read the repository
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return packName{}, fmt.Errorf("writing the parse cache: %w", err)
	}
	pn, _ := parsePackName(name)
	pn.size = int64(len(data))
	return pn, nil
}

// A pack file is:
//
//	magic "MCXPACK1"
//	count   uint32
//	index   count × (key [20]byte, stamp uint32, offset uint32, length uint32), sorted by key
//	values  the bytes the index points into, offsets relative to the start of values
//	crc     uint32, CRC-32C of everything before it
//
// Integers are little-endian; stamp is the Unix time the entry was written or last carried over.
const (
	magic     = "MCXPACK1"
	entrySize = 20 + 4 + 4 + 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type packEntry struct {
	key   key
	stamp uint32
	val   []byte
}

type pack struct {
	name    packName
	entries []packEntry   // sorted by key
	used    []atomic.Bool // entries Get returned this run
}

func encodePack(entries []packEntry) []byte {
	slices.SortFunc(entries, func(a, b packEntry) int { return bytes.Compare(a.key[:], b.key[:]) })
	n := len(magic) + 4 + len(entries)*entrySize + 4
	for _, e := range entries {
		n += len(e.val)
	}
	out := make([]byte, 0, n)
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(entries)))
	var off uint32
	for _, e := range entries {
		out = append(out, e.key[:]...)
		out = binary.LittleEndian.AppendUint32(out, e.stamp)
		out = binary.LittleEndian.AppendUint32(out, off)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(e.val)))
		off += uint32(len(e.val))
	}
	for _, e := range entries {
		out = append(out, e.val...)
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

var errCorrupt = errors.New("corrupt cache pack")

func decodePack(data []byte) (*pack, error) {
	if len(data) < len(magic)+8 || string(data[:len(magic)]) != magic {
		return nil, errCorrupt
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, crcTable) != sum {
		return nil, errCorrupt
	}
	count := uint64(binary.LittleEndian.Uint32(body[len(magic):]))
	idx := body[len(magic)+4:]
	if count*entrySize > uint64(len(idx)) {
		return nil, errCorrupt
	}
	vals := idx[count*entrySize:]
	p := &pack{entries: make([]packEntry, count), used: make([]atomic.Bool, count)}
	for i := range p.entries {
		b := idx[i*entrySize:]
		e := &p.entries[i]
		copy(e.key[:], b[:20])
		e.stamp = binary.LittleEndian.Uint32(b[20:])
		off, n := uint64(binary.LittleEndian.Uint32(b[24:])), uint64(binary.LittleEndian.Uint32(b[28:]))
		if off+n > uint64(len(vals)) {
			return nil, errCorrupt
		}
		if i > 0 && bytes.Compare(p.entries[i-1].key[:], e.key[:]) >= 0 {
			return nil, errCorrupt // written sorted and without duplicates
		}
		e.val = vals[off : off+n : off+n]
	}
	return p, nil
}
