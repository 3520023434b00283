package yamlcache

import (
	"encoding/binary"
	"errors"

	"gopkg.in/yaml.v3"
)

// The encoding: the number of nodes, of child links and of documents, then each document's nodes
// in pre-order, each as kind, style, tag, value, anchor, alias (1 + the pre-order number of the
// node it names, 0 for none), the three comments, line, column and its number of children.
// Decoding makes every node in one slice and takes every string out of one copy of the value.

var errDecode = errors.New("yaml cache value does not decode")

type encoder struct {
	b     []byte
	index map[*yaml.Node]int // pre-order numbers
	nodes int
	links int
	ok    bool
}

func encode(docs []*yaml.Node) ([]byte, bool) {
	e := &encoder{index: map[*yaml.Node]int{}, ok: true}
	for _, d := range docs {
		e.node(d)
	}
	if !e.ok {
		return nil, false
	}
	var head []byte
	head = binary.AppendUvarint(head, uint64(e.nodes))
	head = binary.AppendUvarint(head, uint64(e.links))
	head = binary.AppendUvarint(head, uint64(len(docs)))
	return append(head, e.b...), true
}

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) node(n *yaml.Node) {
	if _, seen := e.index[n]; seen || n.Line < 0 || n.Column < 0 {
		e.ok = false // a node twice in the tree is not what the parser makes
		return
	}
	e.index[n] = e.nodes
	e.nodes++
	e.uint(uint64(n.Kind))
	e.uint(uint64(n.Style))
	e.str(n.Tag)
	e.str(n.Value)
	e.str(n.Anchor)
	switch i, ok := e.index[n.Alias]; {
	case n.Alias == nil:
		e.uint(0)
	case ok:
		e.uint(uint64(i) + 1)
	default:
		e.ok = false // an alias of a node not before it: the parser anchors first
		return
	}
	e.str(n.HeadComment)
	e.str(n.LineComment)
	e.str(n.FootComment)
	e.uint(uint64(n.Line))
	e.uint(uint64(n.Column))
	e.uint(uint64(len(n.Content)))
	e.links += len(n.Content)
	for _, c := range n.Content {
		if c == nil {
			e.ok = false
			return
		}
		e.node(c)
	}
}

type decoder struct {
	s     string
	i     int
	nodes []yaml.Node
	next  int
	links []*yaml.Node
	err   bool
}

func decode(v []byte) ([]*yaml.Node, error) {
	d := &decoder{s: string(v)}
	nodes, links, ndocs := d.uint(), d.uint(), d.uint()
	if d.err || nodes > uint64(len(v)) || links > nodes || ndocs > nodes {
		return nil, errDecode
	}
	d.nodes = make([]yaml.Node, nodes)
	d.links = make([]*yaml.Node, links)
	var docs []*yaml.Node // nil for none, as a Decoder's loop leaves it
	if ndocs > 0 {
		docs = make([]*yaml.Node, ndocs)
	}
	for i := range docs {
		if docs[i] = d.node(); d.err {
			return nil, errDecode
		}
	}
	if d.i != len(d.s) || d.next != len(d.nodes) || len(d.links) != 0 {
		return nil, errDecode
	}
	return docs, nil
}

func (d *decoder) uint() uint64 {
	if d.err {
		return 0
	}
	var v uint64
	for shift := uint(0); d.i < len(d.s) && shift < 64; shift += 7 {
		b := d.s[d.i]
		d.i++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
	d.err = true
	return 0
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err || n > uint64(len(d.s)-d.i) {
		d.err = true
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) node() *yaml.Node {
	if d.err || d.next >= len(d.nodes) {
		d.err = true
		return nil
	}
	n := &d.nodes[d.next]
	d.next++
	n.Kind = yaml.Kind(d.uint())
	n.Style = yaml.Style(d.uint())
	n.Tag = d.str()
	n.Value = d.str()
	n.Anchor = d.str()
	if a := d.uint(); a > 0 {
		if a > uint64(d.next) {
			d.err = true
			return nil
		}
		n.Alias = &d.nodes[a-1]
	}
	n.HeadComment = d.str()
	n.LineComment = d.str()
	n.FootComment = d.str()
	n.Line = int(d.uint())
	n.Column = int(d.uint())
	k := d.uint()
	if d.err || k > uint64(len(d.links)) {
		d.err = true
		return nil
	}
	if k > 0 {
		n.Content = d.links[:k:k]
		d.links = d.links[k:]
		for j := range n.Content {
			if n.Content[j] = d.node(); d.err {
				return nil
			}
		}
	}
	return n
}
