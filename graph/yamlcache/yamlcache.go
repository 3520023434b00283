// Package yamlcache parses YAML into yaml.v3 nodes once per content: within a run from memory
// (discovery, the artifact trace and the definitions at base read the same workflows and compose
// files), across runs from the parse cache, keyed by the content's blob id. yaml.v3 parsed a large
// repository's workflows at 5 MB/s: a fifth of its warm run.
package yamlcache

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/internal/memo"
)

// Kinds of the parse cache: one node tree (yaml.Unmarshal), or every document (yaml.Decoder).
// Change the numbers when the encoding changes.
const (
	docKind  cache.Kind = "yaml-doc/1"
	docsKind cache.Kind = "yaml-docs/1"
)

// Document is yaml.Unmarshal(data, &n) for a yaml.Node n: the first document (a zero node for
// an empty input). The node is shared with every caller that parses the same content: it must not
// be changed. Errors are not kept: data that does not parse is parsed again for its error.
func Document(c *cache.Cache, data []byte) (*yaml.Node, error) {
	docs, err := parse(c, docKind, data)
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}

// Documents is every document of data as a yaml.Decoder gives them until io.EOF. On a decode
// error it returns the error alone. The nodes are shared, as Document's are.
func Documents(c *cache.Cache, data []byte) ([]*yaml.Node, error) {
	return parse(c, docsKind, data)
}

// memoKey is one parse of one content.
type memoKey struct {
	kind cache.Kind
	id   string
}

// parses keep the nodes of at most 16 MiB of YAML (nodes take about ten times their source): a run
// reads a few hundred KB of workflows and compose files; a process that loads many repositories
// (the tests) stops keeping, and parses.
var parses = memo.New[memoKey, []*yaml.Node](16 << 20)

func parse(c *cache.Cache, kind cache.Kind, data []byte) ([]*yaml.Node, error) {
	id := cache.BlobID(data)
	return parses.Do(memoKey{kind, id}, len(data), func() ([]*yaml.Node, error) { return load(c, kind, id, data) })
}

// load takes the nodes from the cache, or parses data and stores them.
func load(c *cache.Cache, kind cache.Kind, id string, data []byte) ([]*yaml.Node, error) {
	if v, ok := c.Get(kind, id, ""); ok {
		if docs, err := decode(v); err == nil && (kind != docKind || len(docs) == 1) {
			return docs, nil
		}
	}
	var docs []*yaml.Node
	if kind == docKind {
		var n yaml.Node
		if err := yaml.Unmarshal(data, &n); err != nil {
			return nil, err
		}
		docs = []*yaml.Node{&n}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			docs = append(docs, &n)
		}
	}
	if v, ok := encode(docs); ok {
		c.Put(kind, id, "", v)
	}
	return docs, nil
}
