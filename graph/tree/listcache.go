package tree

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/monoctx/monoctx/internal/atomicfile"
)

// A listing cache keeps what the walk read of each directory, keyed by the directory's stat data,
// as git's untracked cache does: a directory's entries change only by creating, removing or
// renaming one of them, and each of those sets the directory's mtime and ctime (userspace can set
// the mtime back, never the ctime). A directory whose device, inode, mtime and ctime are those it
// had when it was read therefore holds the entries read then, and one lstat replaces its open,
// getdents and close: on 200k files in 2,400 directories the walk's system time is most of its
// cost.
//
// What could make a record lie is excluded from the records:
//   - racy directories: one changed less than listRacyAge before the walk began might change again
//     within the same timestamp tick after it was read, leaving its stat data equal; it is read
//     again on every run until it is older;
//   - file systems whose timestamps are coarse or come from another machine's clock (FAT, network
//     file systems): only directories on the root's device, and only when that is one of the local
//     file systems of listCacheFS, are recorded;
//   - unreadable or vanished directories (the walk lists nothing for them), and a start directory
//     whose read fails.
//
// The cache is one file (by convention under the git directory: per work tree), written whole
// through a temporary file and a rename when the walk read a directory it did not have or left
// records unused; one that fails its checksum, is of another root or cannot be decoded is ignored.

// listRacyAge is how much older than the walk a directory's mtime and ctime must be for its entries
// to be recorded: a modification after the read then has a later timestamp, even from the kernel's
// coarse clock, which lags by a tick (at most 10 ms).
const listRacyAge = time.Second

// listMagic starts a listing cache file; the number changes with the layout.
const listMagic = "monoctx listing/2\n"

// statKey is what says a directory is unchanged.
type statKey struct {
	dev, ino     uint64
	mtime, ctime int64 // nanoseconds since the epoch
}

// dirRecord is one directory as the walk read it: its files' paths cut from one string (as in
// walkDir), and all its subdirectories (skipped or not: skip is applied when the record is used),
// each after the files that sort before it.
type dirRecord struct {
	rel   string
	key   statKey
	paths string
	ends  []uint32
	subs  []string // repo-relative paths
	subAt []uint32
	// others is "/" and the name of each entry neither a file listed nor a subdirectory (the
	// root's .git, a pipe, a socket, a device), each.
	others string
}

// listCache is the listing cache of one walk: the records read from the file, and those the walk
// found valid or made.
type listCache struct {
	file, scratch, root string
	now                 func() time.Time // the walk's start; time.Now but in tests

	old   map[string]*dirRecord
	start time.Time
	dev   uint64
	local bool // the root is on a file system whose records can be trusted

	mu    sync.Mutex
	recs  []*dirRecord // this walk's records, in no order
	hits  int          // records of old used
	reads int          // directories read (tests)
}

// ListCache makes d's walk keep its listing in file (see listCache), writing it through a temporary
// file in scratch ("" for beside file).
func (d *Dir) ListCache(file, scratch string) *Dir {
	d.listFile, d.listScratch = file, scratch
	return d
}

func (c *listCache) begin() {
	if c.now == nil {
		c.now = time.Now
	}
	c.start = c.now()
	c.dev, c.local = rootDevice(c.root)
	if !c.local {
		return
	}
	if data := mapFile(c.file); data != nil {
		c.old = decodeListing(data, c.root)
	}
}

// hit returns the record of the directory rel (at abs) when its stat data are those recorded.
func (c *listCache) hit(rel, abs string, start bool) *dirRecord {
	r := c.old[rel]
	if r == nil {
		return nil
	}
	k, ok := statDir(abs, start)
	if !ok || k != r.key {
		return nil
	}
	c.mu.Lock()
	c.recs = append(c.recs, r)
	c.hits++
	c.mu.Unlock()
	return r
}

// add keeps the record of a directory just read, unless it is racy or on another device.
func (c *listCache) add(r *dirRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	limit := c.start.Add(-listRacyAge).UnixNano()
	if !c.local || r.key.dev != c.dev || r.key.mtime >= limit || r.key.ctime >= limit {
		return
	}
	c.recs = append(c.recs, r)
}

// finish writes the records when they differ from the file's. Failing to write costs the next run
// its speed, never its answers: the error is dropped.
func (c *listCache) finish() {
	if !c.local || len(c.recs) == c.hits && c.hits == len(c.old) {
		return
	}
	_ = c.write()
}

func (c *listCache) write() error {
	if err := os.MkdirAll(filepath.Dir(c.file), 0o755); err != nil {
		return err
	}
	f, err := atomicfile.Create(c.scratch, c.file)
	if err != nil {
		return err
	}
	data := encodeListing(c.recs, c.root)
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// The file: listMagic, the CRC-32 (Castagnoli) of the rest, the root (a length and its bytes),
// the number of records, then each record: the lengths of its rel, paths and others, its numbers
// of files and subdirectories, its stat key, rel, paths, others, the files' ends, the
// subdirectories' positions and the subdirectories (a length and its bytes each). Numbers are little-endian, 4 bytes (8 for the
// key); every run of bytes is padded to 4 so that the ends are read in place.
var listCRC = crc32.MakeTable(crc32.Castagnoli)

// recordHead is the size of a record's numbers: five lengths and the key.
const recordHead = 5*4 + 4*8

// listHeader is listMagic padded to 4, and the checksum.
var listHeader = (len(listMagic)+3)&^3 + 4

func encodeListing(recs []*dirRecord, root string) []byte {
	size := listHeader + 8 + len(root) + 3
	for _, r := range recs {
		size += recordHead + len(r.rel) + len(r.paths) + len(r.others) + 9 + 4*len(r.ends) + 4*len(r.subAt)
		for _, s := range r.subs {
			size += 4 + len(s) + 3
		}
	}
	b := make([]byte, listHeader, size)
	copy(b, listMagic)
	u32 := func(v int) { b = binary.LittleEndian.AppendUint32(b, uint32(v)) }
	u64 := func(v uint64) { b = binary.LittleEndian.AppendUint64(b, v) }
	bytes := func(s string) {
		b = append(b, s...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	u32(len(root))
	bytes(root)
	u32(len(recs))
	for _, r := range recs {
		u32(len(r.rel))
		u32(len(r.paths))
		u32(len(r.others))
		u32(len(r.ends))
		u32(len(r.subs))
		u64(r.key.dev)
		u64(r.key.ino)
		u64(uint64(r.key.mtime))
		u64(uint64(r.key.ctime))
		bytes(r.rel)
		bytes(r.paths)
		bytes(r.others)
		for _, e := range r.ends {
			u32(int(e))
		}
		for _, a := range r.subAt {
			u32(int(a))
		}
		for _, s := range r.subs {
			u32(len(s))
			bytes(s)
		}
	}
	binary.LittleEndian.PutUint32(b[listHeader-4:], crc32.Checksum(b[listHeader:], listCRC))
	return b
}

// decodeListing is the records of data by directory, nil when data is not a whole, valid file of
// root. The records' strings and ends are data's bytes (no copy: data is a read-only mapping of
// the file, and must stay as it is for as long as the records are used).
func decodeListing(data []byte, root string) map[string]*dirRecord {
	if len(data) < listHeader || string(data[:listHeader-4]) != string(encodeListing(nil, "")[:listHeader-4]) {
		return nil // not the magic and its zero padding
	}
	if binary.LittleEndian.Uint32(data[listHeader-4:]) != crc32.Checksum(data[listHeader:], listCRC) {
		return nil
	}
	pos := listHeader
	bad := false
	u32 := func() int {
		if bad || len(data)-pos < 4 {
			bad = true
			return 0
		}
		v := binary.LittleEndian.Uint32(data[pos:])
		pos += 4
		return int(v)
	}
	u64 := func() uint64 {
		if bad || len(data)-pos < 8 {
			bad = true
			return 0
		}
		v := binary.LittleEndian.Uint64(data[pos:])
		pos += 8
		return v
	}
	str := func(n int) string {
		padded := (n + 3) &^ 3
		if bad || n < 0 || padded > len(data)-pos {
			bad = true
			return ""
		}
		s := bytesString(data[pos : pos+n])
		pos += padded
		return s
	}
	u32s := func(n int) []uint32 {
		if bad || n < 0 || n > (len(data)-pos)/4 {
			bad = true
			return nil
		}
		v := uint32s(data[pos : pos+4*n])
		pos += 4 * n
		return v
	}
	if str(u32()) != root || bad {
		return nil
	}
	n := u32()
	if bad || n > (len(data)-pos)/recordHead {
		return nil
	}
	m := make(map[string]*dirRecord, n)
	for range n {
		relLen, pathsLen, othersLen, nEnds, nSubs := u32(), u32(), u32(), u32(), u32()
		r := &dirRecord{key: statKey{dev: u64(), ino: u64(), mtime: int64(u64()), ctime: int64(u64())}}
		r.rel = str(relLen)
		r.paths = str(pathsLen)
		r.others = str(othersLen)
		r.ends = u32s(nEnds)
		r.subAt = u32s(nSubs)
		if bad || nSubs > (len(data)-pos)/4 {
			return nil
		}
		r.subs = make([]string, nSubs)
		for i := range r.subs {
			r.subs[i] = str(u32())
		}
		if bad || !validRecord(r) {
			return nil
		}
		m[r.rel] = r
	}
	if pos != len(data) {
		return nil
	}
	return m
}

// validRecord reports whether r's ends and positions are in order and in bounds, as the walk cuts
// paths by them.
func validRecord(r *dirRecord) bool {
	last := uint32(0)
	for _, e := range r.ends {
		if e < last || e > uint32(len(r.paths)) {
			return false
		}
		last = e
	}
	last = 0
	for _, a := range r.subAt {
		if a < last || a > uint32(len(r.ends)) {
			return false
		}
		last = a
	}
	return true
}

// dirFromRecord is the walkDir of a recorded directory, without the subdirectories skip prunes.
func dirFromRecord(n *walkDir, r *dirRecord, skip func(string) bool) {
	n.paths, n.ends, n.others = r.paths, r.ends, r.others
	for i, s := range r.subs {
		if skip != nil && skip(s) {
			n.others += "/" + path.Base(s)
			continue
		}
		n.subs = append(n.subs, &walkDir{rel: s})
		n.subAt = append(n.subAt, r.subAt[i])
	}
}
