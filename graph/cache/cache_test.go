package cache

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/monoctx/monoctx/internal/gittest"
)

func packs(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".pack") {
			out = append(out, e.Name())
		}
	}
	return out
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, p := range packs(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestBlobIDIsGitHashObject(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", "hello\n", strings.Repeat("x", 100000)} {
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "hash-object", f)
		cmd.Env = append(os.Environ(), gittest.Environ()...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := BlobID([]byte(content)), strings.TrimSpace(string(out)); got != want {
			t.Errorf("BlobID(%d bytes) = %s, git hash-object says %s", len(content), got, want)
		}
	}
}

func TestValuesSurviveFlushAndAreKeyedByKindIDAndExtra(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := Open(dir, "v1")
	if _, ok := c.Get("k/1", "aa", ""); ok {
		t.Fatal("an empty cache hit")
	}
	c.Put("k/1", "aa", "", []byte("one"))
	c.Put("k/1", "aa", "x", []byte("one with x"))
	c.Put("k/2", "aa", "", []byte("other kind"))
	if v, ok := c.Get("k/1", "aa", ""); !ok || string(v) != "one" {
		t.Fatalf("before Flush: Get = %q, %v; want the value just put", v, ok)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(packs(t, dir)); n != 1 {
		t.Fatalf("Flush wrote %d packs, want 1", n)
	}

	c2 := Open(dir, "v1")
	for _, tc := range []struct {
		kind      Kind
		id, extra string
		want      string
	}{
		{"k/1", "aa", "", "one"},
		{"k/1", "aa", "x", "one with x"},
		{"k/2", "aa", "", "other kind"},
	} {
		if v, ok := c2.Get(tc.kind, tc.id, tc.extra); !ok || string(v) != tc.want {
			t.Errorf("Get(%s, %s, %q) = %q, %v; want %q", tc.kind, tc.id, tc.extra, v, ok, tc.want)
		}
	}
	for _, miss := range [][3]string{{"k/1", "ab", ""}, {"k/1", "aa", "y"}, {"k/3", "aa", ""}} {
		if v, ok := c2.Get(Kind(miss[0]), miss[1], miss[2]); ok {
			t.Errorf("Get%v = %q, want a miss", miss, v)
		}
	}
	if hits, misses := c2.Stats(); hits != 3 || misses != 3 {
		t.Errorf("Stats = %d hits, %d misses; want 3, 3", hits, misses)
	}
	// A run that only reads writes nothing.
	if err := c2.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := len(packs(t, dir)); n != 1 {
		t.Errorf("a read-only run left %d packs, want 1", n)
	}

	// Another version never sees these values.
	if v, ok := Open(dir, "v2").Get("k/1", "aa", ""); ok {
		t.Errorf("version v2 read %q written by v1", v)
	}
}

func TestNilCacheIsOff(t *testing.T) {
	var c *Cache
	c.Put("k/1", "aa", "", []byte("x"))
	if _, ok := c.Get("k/1", "aa", ""); ok {
		t.Error("a nil cache hit")
	}
	if err := c.Flush(); err != nil {
		t.Error(err)
	}
	read := false
	if id, data, err := c.ID(nil, "f", func() ([]byte, error) { read = true; return nil, nil }); id != "" || data != nil || err != nil || read {
		t.Errorf("nil cache ID = %q, %q, %v, read %v; want nothing read", id, data, err, read)
	}
}

type fakeBlobs map[string]string

func (f fakeBlobs) BlobID(name string) (string, bool) { id, ok := f[name]; return id, ok }

func TestIDPrefersKnownBlobIDsAndHashesOtherwise(t *testing.T) {
	c := Open(t.TempDir(), "v1")
	reads := 0
	read := func() ([]byte, error) { reads++; return []byte("hello\n"), nil }
	id, data, err := c.ID(fakeBlobs{"known": "1234"}, "known", read)
	if err != nil || id != "1234" || data != nil || reads != 0 {
		t.Errorf("known: ID = %q, %q, %v after %d reads; want 1234 without a read", id, data, err, reads)
	}
	id, data, err = c.ID(fakeBlobs{}, "other", read)
	if err != nil || id != "ce013625030ba8dba906f756967f9e9ca394464a" || string(data) != "hello\n" || reads != 1 {
		t.Errorf("unknown: ID = %q, %q, %v after %d reads; want git's id of the content", id, data, err, reads)
	}
}

// corrupt writes one value, then damages the pack with f.
func corrupt(t *testing.T, f func([]byte) []byte) {
	dir := t.TempDir()
	c := Open(dir, "v1")
	c.Put("k/1", "aa", "", []byte("the value"))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, packs(t, dir)[0])
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, f(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := Open(dir, "v1")
	if v, ok := c2.Get("k/1", "aa", ""); ok {
		t.Fatalf("a damaged pack answered %q", v)
	}
	// The run parses again, and its Flush drops the damaged pack.
	c2.Put("k/1", "aa", "", []byte("the value"))
	if err := c2.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("the damaged pack is still there: %v", err)
	}
	if v, ok := Open(dir, "v1").Get("k/1", "aa", ""); !ok || string(v) != "the value" {
		t.Errorf("after the rewrite: Get = %q, %v", v, ok)
	}
}

func TestTruncatedPackIsAMiss(t *testing.T) {
	for _, n := range []int{0, 5, 20, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			corrupt(t, func(b []byte) []byte { return b[:min(n, len(b)-1)] })
		})
	}
}

func TestFlippedByteIsAMiss(t *testing.T) {
	for _, at := range []int{0, 9, 14, 40, -6} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			corrupt(t, func(b []byte) []byte {
				i := at
				if i < 0 {
					i += len(b)
				}
				b[i] ^= 0x40
				return b
			})
		})
	}
}

func TestGarbageFilesAreIgnored(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"notapack.txt":    "x",
		"a-b-c.pack":      "not a pack name",
		"abc-123-ff.pack": "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := Open(dir, "v1")
	if _, ok := c.Get("k/1", "aa", ""); ok {
		t.Error("hit in a directory without packs")
	}
}

func TestConcurrentRunsAgree(t *testing.T) {
	dir := t.TempDir()
	const runs, perRun = 6, 300
	var wg sync.WaitGroup
	for r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Several rounds, so that runs merge while others write and read.
			for round := range 12 {
				c := Open(dir, "v1")
				for i := range perRun {
					id := fmt.Sprintf("%d-%d", (r+round)%runs, i)
					if v, ok := c.Get("k/1", id, ""); ok {
						if string(v) != "value of "+id {
							t.Errorf("Get(%s) = %q", id, v)
						}
						continue
					}
					c.Put("k/1", id, "", []byte("value of "+id))
				}
				if err := c.Flush(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c := Open(dir, "v1")
	for r := range runs {
		for i := range perRun {
			id := fmt.Sprintf("%d-%d", r, i)
			if v, ok := c.Get("k/1", id, ""); !ok || string(v) != "value of "+id {
				t.Fatalf("after the runs: Get(%s) = %q, %v", id, v, ok)
			}
		}
	}
	if n := len(packs(t, dir)); n > maxPacks+runs {
		t.Errorf("%d packs after merging runs, want at most %d", n, maxPacks+runs)
	}
}

func TestCacheStaysUnderItsLimitAndKeepsTheRecent(t *testing.T) {
	dir := t.TempDir()
	const limit = 64 << 10
	val := []byte(strings.Repeat("v", 1000))
	for run := range 40 {
		c := Open(dir, "v1", WithLimit(limit))
		for i := range 20 {
			c.Put("k/1", fmt.Sprintf("%d-%d", run, i), "", val)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		if n := dirSize(t, dir); n > limit {
			t.Fatalf("after run %d the packs hold %d bytes, over the %d limit", run, n, limit)
		}
		if n := len(packs(t, dir)); n > maxPacks+1 {
			t.Fatalf("after run %d: %d packs, want at most %d", run, n, maxPacks+1)
		}
	}
	c := Open(dir, "v1", WithLimit(limit))
	if _, ok := c.Get("k/1", "39-0", ""); !ok {
		t.Error("the last run's value was evicted")
	}
	if _, ok := c.Get("k/1", "0-0", ""); ok {
		t.Error("the first run's value survived 40 runs of a cache that holds about 60 values")
	}
}

func TestMergeKeepsWhatTheMergingRunUsed(t *testing.T) {
	dir := t.TempDir()
	const limit = 40 << 10
	val := []byte(strings.Repeat("v", 1000))
	c := Open(dir, "v1", WithLimit(limit))
	c.Put("k/1", "old-but-used", "", val)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for run := range 30 {
		c := Open(dir, "v1", WithLimit(limit))
		if _, ok := c.Get("k/1", "old-but-used", ""); !ok {
			t.Fatalf("run %d: the value every run uses was evicted", run)
		}
		c.Put("k/1", fmt.Sprint(run), "", val)
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOtherVersionsGoFirstWhenOverTheLimit(t *testing.T) {
	dir := t.TempDir()
	const limit = 32 << 10
	val := []byte(strings.Repeat("v", 1000))
	old := Open(dir, "old", WithLimit(limit))
	for i := range 20 {
		old.Put("k/1", fmt.Sprint(i), "", val)
	}
	if err := old.Flush(); err != nil {
		t.Fatal(err)
	}
	oldPacks := packs(t, dir)
	c := Open(dir, "new", WithLimit(limit))
	for i := range 20 {
		c.Put("k/1", fmt.Sprint(i), "", val)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, oldPacks[0])); !os.IsNotExist(err) {
		t.Errorf("the other version's pack is kept over the limit: %v", err)
	}
	if n := dirSize(t, dir); n > limit {
		t.Errorf("%d bytes over the %d limit", n, limit)
	}
	if _, ok := Open(dir, "new", WithLimit(limit)).Get("k/1", "19", ""); !ok {
		t.Error("the current version lost its newest value")
	}
}

func TestCodecRoundTrip(t *testing.T) {
	var e Encoder
	e.String("")
	e.String("héllo")
	e.Strings(nil)
	e.Strings([]string{})
	e.Strings([]string{"a", "", "c"})
	e.Map(nil)
	e.Map(map[string]string{"b": "2", "a": "1"})
	e.Bool(true)
	e.Uint(1 << 40)
	d := NewDecoder(e.Bytes())
	if s := d.String(); s != "" {
		t.Errorf("String = %q", s)
	}
	if s := d.String(); s != "héllo" {
		t.Errorf("String = %q", s)
	}
	if l := d.Strings(); l != nil {
		t.Errorf("Strings = %#v, want nil", l)
	}
	if l := d.Strings(); l == nil || len(l) != 0 {
		t.Errorf("Strings = %#v, want empty", l)
	}
	if l := d.Strings(); fmt.Sprint(l) != "[a  c]" {
		t.Errorf("Strings = %#v", l)
	}
	if m := d.Map(); m != nil {
		t.Errorf("Map = %#v, want nil", m)
	}
	if m := d.Map(); len(m) != 2 || m["a"] != "1" || m["b"] != "2" {
		t.Errorf("Map = %#v", m)
	}
	if !d.Bool() || d.Uint() != 1<<40 {
		t.Error("Bool/Uint")
	}
	if err := d.Err(); err != nil {
		t.Error(err)
	}
	// Every truncation fails to decode instead of returning a short value silently.
	full := e.Bytes()
	for n := 0; n < len(full); n++ {
		d := NewDecoder(full[:n])
		_ = d.String()
		_ = d.String()
		d.Strings()
		d.Strings()
		d.Strings()
		d.Map()
		d.Map()
		d.Bool()
		d.Uint()
		if d.Err() == nil {
			t.Fatalf("decoding the first %d of %d bytes succeeded", n, len(full))
		}
	}
	if d := NewDecoder(append(append([]byte{}, full...), 0)); func() error {
		_ = d.String()
		_ = d.String()
		d.Strings()
		d.Strings()
		d.Strings()
		d.Map()
		d.Map()
		d.Bool()
		d.Uint()
		return d.Err()
	}() == nil {
		t.Error("a trailing byte decoded")
	}
}

// A key written again by a later run answers with the later value, before and after the packs are
// merged: the Go closures are kept under one key and replaced when their trace no longer holds.
func TestRewrittenKeyAnswersWithTheLastValue(t *testing.T) {
	dir := t.TempDir()
	for run := range maxPacks + 3 {
		c := Open(dir, "v1")
		want := fmt.Sprint(run - 1)
		if v, ok := c.Get("k/1", "id", ""); run > 0 && (!ok || string(v) != want) {
			t.Fatalf("run %d: got %q, %v; want %q, the value the run before wrote", run, v, ok, want)
		}
		c.Put("k/1", "id", "", []byte(fmt.Sprint(run)))
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// Warm says whether a run before left values of this version: not for an empty directory, nor
// for another version's packs.
func TestWarmIsAPackOfThisVersion(t *testing.T) {
	dir := t.TempDir()
	if Open(dir, "v1").Warm() {
		t.Error("an empty cache is warm")
	}
	other := Open(dir, "v0")
	other.Put("k/1", "id", "", []byte("x"))
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	if Open(dir, "v1").Warm() {
		t.Error("another version's pack makes the cache warm")
	}
	c := Open(dir, "v1")
	c.Put("k/1", "id", "", []byte("y"))
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if !Open(dir, "v1").Warm() {
		t.Error("the cache is not warm after a run of this version wrote to it")
	}
	var off *Cache
	if off.Warm() {
		t.Error("a nil cache is warm")
	}
}
