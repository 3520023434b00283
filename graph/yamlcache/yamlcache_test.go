package yamlcache

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
)

// samples are YAML shapes the encoding must keep: anchors and aliases (one naming its own
// ancestor), merge keys, every scalar style, tags, comments in all three places, flow
// collections, several documents, and empty input.
var samples = []string{
	"",
	"# only a comment\n",
	"a: 1\n",
	"on:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          docker build -t x -f cmd/x/Dockerfile .\n          make images\n",
	"base: &b\n  image: x\n  build: {context: ., dockerfile: Dockerfile}\nsvc:\n  <<: *b\n  ports: ['80:80']\nother: *b\n",
	"a: &x [1, *x]\n",
	"# head\nkey: value # line\n# foot\n\nnext: 'single' \n",
	"plain: text\nsingle: 'x'\ndouble: \"y\\n\"\nliteral: |\n  l1\n  l2\nfolded: >-\n  f1\n  f2\n",
	"tagged: !custom value\nbin: !!binary aGVsbG8=\nnull: ~\nbool: yes\n",
	"---\na: 1\n---\nb: 2\n...\n---\n- x\n- y\n",
	"- {a: 1, b: [2, 3]}\n- ? complex key\n  : value\n",
	"key:\n  - &anchor\n    name: n\n  - *anchor\n  - *anchor\n",
}

// corpus is the samples and every YAML file of this repository.
func corpus(t *testing.T) [][]byte {
	var out [][]byte
	for _, s := range samples {
		out = append(out, []byte(s))
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".bench") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(p); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func unmarshal(data []byte) (*yaml.Node, error) {
	var n yaml.Node
	err := yaml.Unmarshal(data, &n)
	return &n, err
}

func decodeAll(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, &n)
	}
}

func TestEncodingKeepsTheParse(t *testing.T) {
	for _, data := range corpus(t) {
		docs, err := decodeAll(data)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		v, ok := encode(docs)
		if !ok {
			t.Fatalf("%q: not encoded", data)
		}
		got, err := decode(v)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !reflect.DeepEqual(got, docs) {
			t.Errorf("%q: decoded nodes differ from the parse", data)
		}
		// Every cut of the value is refused, never taken for a shorter tree.
		for i := range len(v) {
			if _, err := decode(v[:i]); err == nil {
				t.Fatalf("%q: the first %d of %d bytes decode", data, i, len(v))
			}
		}
	}
}

func TestAliasesPointIntoTheTree(t *testing.T) {
	data := []byte("base: &b {x: 1}\nuse: *b\nself: &s [*s]\n")
	c := cache.Open(t.TempDir(), "test")
	if _, err := Document(c, data); err != nil {
		t.Fatal(err)
	}
	resetMemo()
	v, ok := c.Get(docKind, cache.BlobID(data), "")
	if !ok {
		t.Fatal("the parse was not stored")
	}
	docs, err := decode(v)
	if err != nil {
		t.Fatal(err)
	}
	top := docs[0].Content[0]
	if top.Content[3].Alias != top.Content[1] {
		t.Error("*b does not name the node anchored &b")
	}
	if self := top.Content[5]; self.Content[0].Alias != self {
		t.Error("*s does not name its own sequence")
	}
}

func TestDocumentsFromTheCacheAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	c := cache.Open(dir, "test")
	all := corpus(t)
	for _, data := range all {
		if _, err := Document(c, data); err != nil {
			t.Fatal(err)
		}
		if _, err := Documents(c, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	resetMemo()
	c = cache.Open(dir, "test") // the next run
	for _, data := range all {
		want, _ := unmarshal(data)
		got, err := Document(c, data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: Document = %v, %v; want the parse", data, got, err)
		}
		wantDocs, _ := decodeAll(data)
		gotDocs, err := Documents(c, data)
		if err != nil || !reflect.DeepEqual(gotDocs, wantDocs) {
			t.Errorf("%q: Documents differ from the parse (%v)", data, err)
		}
	}
	if hits, misses := c.Stats(); hits != int64(2*len(all)) || misses != 0 {
		t.Errorf("second run: %d hits, %d misses; want %d hits and no miss", hits, misses, 2*len(all))
	}
}

func TestDocumentIsUnmarshal(t *testing.T) {
	// Unmarshal reads the first document only: a broken second one is no error for Document, and
	// is one for Documents.
	data := []byte("a: 1\n---\nb: [\n")
	n, err := Document(nil, data)
	if err != nil || len(n.Content) != 1 || n.Content[0].Content[0].Value != "a" {
		t.Fatalf("Document = %v, %v", n, err)
	}
	if _, err := Documents(nil, data); err == nil {
		t.Error("Documents took a broken second document")
	}
	n, err = Document(nil, nil)
	if err != nil || n.Kind != 0 {
		t.Errorf("empty input: %v, %v; want a zero node", n, err)
	}
}

func TestErrorsAreYAMLsAndNotKept(t *testing.T) {
	c := cache.Open(t.TempDir(), "test")
	data := []byte("a: [1\nb: 2\n")
	_, want := unmarshal(data)
	if want == nil {
		t.Fatal("the sample parses")
	}
	for range 2 {
		if _, err := Document(c, data); err == nil || err.Error() != want.Error() {
			t.Errorf("error = %v; want yaml's %v", err, want)
		}
	}
	if _, ok := c.Get(docKind, cache.BlobID(data), ""); ok {
		t.Error("a failed parse was stored")
	}
}

func TestOneParsePerContent(t *testing.T) {
	data := []byte("jobs: {a: {steps: [{run: make}]}}\n")
	a, err := Document(nil, data)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Document(nil, bytes.Clone(data))
	if a != b {
		t.Error("the same content was parsed twice in a run")
	}
	c, _ := Document(nil, []byte(strings.Replace(string(data), "make", "make all", 1)))
	if c == a {
		t.Error("other content got the first parse")
	}
}

func FuzzEncoding(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := decodeAll(data)
		if err != nil {
			return
		}
		v, ok := encode(docs)
		if !ok {
			return
		}
		got, err := decode(v)
		if err != nil || !reflect.DeepEqual(got, docs) {
			t.Fatalf("%q: round trip differs (%v)", data, err)
		}
	})
}

func resetMemo() { parses.Reset() }
