package tree

import (
	"slices"
	"testing"
)

// Entries in git's order are searched as they are; any other order is sorted first, the last of
// equal names winning, as a map filled in order would.
func TestIndexEntriesLookup(t *testing.T) {
	e := func(id string) *IndexEntry { return &IndexEntry{ID: id} }
	for _, c := range []struct {
		names []string
		ids   []string
		want  map[string]string
	}{
		{[]string{"a", "a/b", "a0", "b"}, []string{"1", "2", "3", "4"}, map[string]string{"a": "1", "a/b": "2", "a0": "3", "b": "4"}},
		{[]string{"b", "a", "c", "a"}, []string{"1", "2", "3", "4"}, map[string]string{"a": "4", "b": "1", "c": "3"}},
		{nil, nil, map[string]string{}},
	} {
		var es []*IndexEntry
		for _, id := range c.ids {
			es = append(es, e(id))
		}
		x := NewIndexEntries(slices.Clone(c.names), es)
		if x.Len() != len(c.want) || !slices.IsSorted(x.Names()) {
			t.Errorf("%q: %d names %q, want %d sorted", c.names, x.Len(), x.Names(), len(c.want))
		}
		for n, id := range c.want {
			if got, ok := x.Lookup(n); !ok || got.ID != id {
				t.Errorf("%q: Lookup(%q) = %v, %v; want id %s", c.names, n, got, ok, id)
			}
		}
		for _, n := range []string{"", "a/", "z"} {
			if _, ok := x.Lookup(n); ok {
				t.Errorf("%q: Lookup(%q) found an entry", c.names, n)
			}
		}
	}
	if _, ok := (*IndexEntries)(nil).Lookup("a"); ok {
		t.Error("a nil table found an entry")
	}
}
