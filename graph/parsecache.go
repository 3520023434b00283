package graph

import (
	"encoding/json"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/jsdeps"
)

// WithCache keeps what parsing produced (Go imports and embeds per file, JS manifests, Dockerfile
// analyses) in c across runs, keyed by the blob ids of the files: from blobs when git knows them
// (nil: by hashing each file read). A nil c is no cache. Load only reads and adds to c; the caller
// flushes it.
func WithCache(c *cache.Cache, blobs cache.Blobs) Option {
	return func(o *options) { o.cache, o.blobs = c, blobs }
}

// dockerfileKind is the cache kind of a Dockerfile analysis: dockerfileInfo as JSON. Change the
// number whenever dockerfileInfo or what analyzeDockerfile reads out of a Dockerfile changes.
const dockerfileKind cache.Kind = "dockerfile/1"

func (l *langCache) jsOptions() []jsdeps.Option {
	if l.cache == nil {
		return nil
	}
	return []jsdeps.Option{jsdeps.WithCache(l.cache, l.blobs)}
}

// analyzeCached is analyzeDockerfile through the cache: keyed by the content's blob id, with the
// Dockerfile's name (it is in the analysis's messages), target and args. Errors are not cached.
func (l *langCache) analyzeCached(name string, data []byte, args map[string]string, target string) (*dockerfileInfo, error) {
	if l.cache == nil {
		return analyzeDockerfile(name, data, args, target)
	}
	id := cache.BlobID(data)
	var e cache.Encoder // length-prefixed: no two (name, target, args) give the same key
	e.String(name)
	e.String(target)
	e.Map(args)
	extra := string(e.Bytes())
	if v, ok := l.cache.Get(dockerfileKind, id, extra); ok {
		var info dockerfileInfo
		if json.Unmarshal(v, &info) == nil {
			return &info, nil
		}
	}
	info, err := analyzeDockerfile(name, data, args, target)
	if err != nil {
		return nil, err
	}
	if v, err := json.Marshal(info); err == nil {
		l.cache.Put(dockerfileKind, id, extra, v)
	}
	return info, nil
}
