package ignore

import (
	"reflect"
	"strings"
	"testing"
)

func TestTakenOverPatternsSurviveRegeneration(t *testing.T) {
	user, err := Parse("apps/web/Dockerfile.dockerignore", []byte("# mine\ndrafts\n!drafts/keep.html\n**/*.tmp\n \\#odd\n"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := Generate(Spec{App: "web", Keep: []string{"src", "drafts"}, User: user, TakenOver: true})
	if err != nil {
		t.Fatal(err)
	}
	back, ok, err := TakenOver("apps/web/Dockerfile.dockerignore", first)
	if err != nil || !ok {
		t.Fatalf("TakenOver: ok=%v err=%v", ok, err)
	}
	if got, want := back.Patterns, user.Patterns; len(got) != len(want) {
		t.Fatalf("got %d patterns back, want %d", len(got), len(want))
	}
	for i := range user.Patterns {
		if got, want := back.Patterns[i].String(), user.Patterns[i].String(); got != want {
			t.Errorf("pattern %d: got %q, want %q", i, got, want)
		}
	}
	// Regenerating from what was read back gives the same bytes.
	second, err := Generate(Spec{App: "web", Keep: []string{"src", "drafts"}, User: back, TakenOver: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("regeneration differs:\n%s\n---\n%s", first, second)
	}
}

func TestTakenOverIsAbsentFromOrdinaryFiles(t *testing.T) {
	ctxIgnore, err := Parse(".dockerignore", []byte("**/*.md\n"))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Generate(Spec{App: "web", Keep: []string{"src"}, User: ctxIgnore})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"generated": gen, "user file": []byte("#| drafts\ndrafts\n")} {
		if _, ok, err := TakenOver("x", data); ok || err != nil {
			t.Errorf("%s: got ok=%v err=%v, want no taken-over patterns", name, ok, err)
		}
	}
}

func TestTakenOverPatternsNameTheirLineInTheGeneratedFile(t *testing.T) {
	user, err := Parse("x", []byte("a\n**/*.md\n"))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Generate(Spec{Keep: []string{"src"}, User: user, TakenOver: true})
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := TakenOver("gen", gen)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(gen), "\n")
	for _, p := range back.Patterns {
		if got, want := lines[p.Line-1], takenOverPrefix+p.String(); got != want {
			t.Errorf("line %d is %q, want %q", p.Line, got, want)
		}
	}
}
