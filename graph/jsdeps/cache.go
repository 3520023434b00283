package jsdeps

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
)

// Option configures Load and Root.
type Option func(*options)

type options struct {
	cache   *cache.Cache
	blobs   cache.Blobs
	fs      FS // nil: the OS
	listing *Listing
	memo    *Memo
}

func newOptions(opts []Option) *options {
	o := &options{}
	for _, f := range opts {
		f(o)
	}
	return o
}

// WithCache keeps parsed package.json, pnpm-workspace.yaml and tsconfig files in c, keyed by the
// file's blob id: from blobs when it knows it (nil: always by hashing the file). A nil c is no
// cache.
func WithCache(c *cache.Cache, blobs cache.Blobs) Option {
	return func(o *options) { o.cache, o.blobs = c, blobs }
}

// The cache kinds; change the number when the parse or the encoding changes.
const (
	manifestKind cache.Kind = "js-package-json/1"
	pnpmKind     cache.Kind = "js-pnpm-workspace/1"
	tsconfigKind cache.Kind = "js-tsconfig/1"
)

// cached returns the cached value of kind for the repo-relative file rel (absolute abs), or calls
// parse on its content and caches what it returns when ok (without a cache it only parses). Read
// errors are returned as they are (fs.ErrNotExist for a missing file).
func (o *options) cached(kind cache.Kind, rel, abs string, parse func(data []byte) (val []byte, ok bool)) (val []byte, hit bool, err error) {
	var c *cache.Cache
	var blobs cache.Blobs
	if o != nil {
		c, blobs = o.cache, o.blobs
	}
	read := func() ([]byte, error) { return o.files().ReadFile(abs) }
	id, data, err := c.ID(blobs, rel, read)
	if err != nil {
		return nil, false, err
	}
	if v, ok := c.Get(kind, id, ""); ok {
		return v, true, nil
	}
	if data == nil {
		if data, err = read(); err != nil {
			return nil, false, err
		}
	}
	if v, ok := parse(data); ok {
		c.Put(kind, id, "", v)
		return v, false, nil
	}
	return nil, false, nil
}

// readManifest is the package-level readManifest through the memo and the cache.
func (o *options) readManifest(repoRoot, rel string) (*manifest, error) {
	if o != nil && o.memo != nil {
		return o.memo.manifest(repoRoot, rel, func() (*manifest, error) { return o.readManifestCached(repoRoot, rel) })
	}
	return o.readManifestCached(repoRoot, rel)
}

// readPackageManifest is readManifest for a workspace's package directories: it takes what the
// memo holds (the root searches read the packages they started from) without keeping the rest,
// which no other search reads.
func (o *options) readPackageManifest(repoRoot, rel string) (*manifest, error) {
	if o != nil && o.memo != nil {
		if m, err, ok := o.memo.lookup(repoRoot, rel); ok {
			return m, err
		}
	}
	return o.readManifestCached(repoRoot, rel)
}

// readManifestCached is the package-level readManifest through the cache.
func (o *options) readManifestCached(repoRoot, rel string) (*manifest, error) {
	if o == nil || o.cache == nil {
		return readManifest(o.files(), repoRoot, rel)
	}
	var parsed *manifest
	var perr error
	v, hit, err := o.cached(manifestKind, rel, filepath.Join(repoRoot, filepath.FromSlash(rel)), func(data []byte) ([]byte, bool) {
		parsed, perr = parseManifest(rel, data)
		if perr != nil {
			return nil, false // not cached: the error names the file
		}
		return encodeManifest(parsed), true
	})
	switch {
	case err != nil:
		return nil, err
	case !hit:
		return parsed, perr
	}
	if m, ok := decodeManifest(v); ok {
		return m, nil
	}
	return readManifest(o.files(), repoRoot, rel) // a value that does not decode is a miss
}

func encodeManifest(m *manifest) []byte {
	var e cache.Encoder
	e.String(m.Name)
	e.Bool(m.Workspaces != nil)
	e.String(string(m.Workspaces))
	e.String(m.PackageManager)
	for _, deps := range []map[string]string{m.Dependencies, m.DevDependencies, m.OptionalDependencies, m.PeerDependencies, m.Pnpm.PatchedDependencies, m.Scripts} {
		e.Map(deps)
	}
	return e.Bytes()
}

func decodeManifest(v []byte) (*manifest, bool) {
	d := cache.NewDecoder(v)
	m := &manifest{Name: d.String()}
	if hasWS, ws := d.Bool(), d.String(); hasWS {
		m.Workspaces = json.RawMessage(ws)
	}
	m.PackageManager = d.String()
	for _, deps := range []*map[string]string{&m.Dependencies, &m.DevDependencies, &m.OptionalDependencies, &m.PeerDependencies, &m.Pnpm.PatchedDependencies, &m.Scripts} {
		*deps = d.Map()
	}
	return m, d.Err() == nil
}

// pnpmPatterns reads the packages of pnpm-workspace.yaml (repo-relative rel, absolute abs); found
// is false when there is no such file.
func (o *options) pnpmPatterns(rel, abs string) (patterns []string, found bool, err error) {
	parsed := false
	var perr error
	v, hit, err := o.cached(pnpmKind, rel, abs, func(data []byte) ([]byte, bool) {
		parsed = true
		patterns, perr = parsePnpmWorkspace(data)
		if perr != nil {
			return nil, false
		}
		var e cache.Encoder
		e.Strings(patterns)
		return e.Bytes(), true
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading pnpm-workspace.yaml: %w", err)
	case parsed:
		return patterns, true, perr
	}
	d := cache.NewDecoder(v)
	if patterns = d.Strings(); d.Err() == nil && hit {
		return patterns, true, nil
	}
	data, err := o.files().ReadFile(abs) // a value that does not decode is a miss
	if err != nil {
		return nil, false, fmt.Errorf("reading pnpm-workspace.yaml: %w", err)
	}
	patterns, err = parsePnpmWorkspace(data)
	return patterns, true, err
}

func parsePnpmWorkspace(data []byte) ([]string, error) {
	var ws struct {
		Packages []string `yaml:"packages"`
	}
	if err := yaml.Unmarshal(data, &ws); err != nil {
		return nil, fmt.Errorf("parsing pnpm-workspace.yaml: %w", err)
	}
	return ws.Packages, nil
}

// tsconfig is parseTSConfig through the cache; rel is repo-relative, abs absolute.
func (o *options) tsconfig(rel, abs string) *tsconfig {
	if o == nil || o.cache == nil {
		return parseTSConfig(o.files(), abs)
	}
	var parsed *tsconfig
	v, hit, err := o.cached(tsconfigKind, rel, abs, func(data []byte) ([]byte, bool) {
		parsed = parseTSConfigData(data)
		if parsed == nil {
			return nil, false
		}
		var e cache.Encoder
		for _, refs := range [][]tsRef{parsed.extends, parsed.references} {
			e.Uint(uint64(len(refs)))
			for _, r := range refs {
				e.String(r.spec)
				e.Uint(uint64(r.line))
			}
		}
		return e.Bytes(), true
	})
	switch {
	case err != nil:
		return nil
	case !hit:
		return parsed
	}
	d := cache.NewDecoder(v)
	tc := &tsconfig{}
	for _, refs := range []*[]tsRef{&tc.extends, &tc.references} {
		n := d.Uint()
		for i := uint64(0); i < n && d.Err() == nil; i++ {
			*refs = append(*refs, tsRef{spec: d.String(), line: int(d.Uint())})
		}
	}
	if d.Err() != nil {
		return parseTSConfig(o.files(), abs) // a value that does not decode is a miss
	}
	return tc
}
