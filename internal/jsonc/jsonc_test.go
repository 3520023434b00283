package jsonc

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Valid JSON means the same after Strip.
func FuzzStrip(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2], "b": {"c": "//not a comment"}}`, `{"x": "a\"b", "y": null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want any
		if json.Unmarshal([]byte(s), &want) != nil {
			_ = Strip([]byte(s)) // any input: no panic
			return
		}
		// Valid JSON with no comments means the same after stripping.
		var got any
		if err := json.Unmarshal(Strip([]byte(s)), &got); err != nil {
			t.Fatalf("Strip(%q) broke valid JSON: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Strip(%q): got %v, want %v", s, got, want)
		}
	})
}

func TestStripCommentsAndTrailingCommas(t *testing.T) {
	in := "{\n  // a comment\n  \"a\": \"//kept\", /* b */\n  \"c\": [1, 2,],\n}\n"
	var got map[string]any
	if err := json.Unmarshal(Strip([]byte(in)), &got); err != nil {
		t.Fatalf("Strip(%q): %v", in, err)
	}
	want := map[string]any{"a": "//kept", "c": []any{1.0, 2.0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
