package discover

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The attribute list is buildx's own, read from the bake.Target of the buildx module this build
// uses (its source, so that the test adds no dependency): a buildx upgrade that adds one fails
// here, not in a user's repository as a false warning.
func TestBakeTargetAttributesAreBuildxs(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/docker/buildx").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/docker/buildx: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "bake", "bake.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"matrix", "name"} // evaluated by the parser, not fields of bake.Target
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Target" {
			return true
		}
		found = true
		for _, fld := range ts.Type.(*ast.StructType).Fields.List {
			if fld.Tag == nil {
				continue
			}
			tag, _ := strconv.Unquote(fld.Tag.Value)
			name, opt, _ := strings.Cut(reflect.StructTag(tag).Get("hcl"), ",")
			if name != "" && opt != "label" {
				want = append(want, name)
			}
		}
		return false
	})
	if !found || len(want) < 10 {
		t.Fatalf("no bake.Target with hcl attributes in %s", file)
	}
	slices.Sort(want)
	if !slices.Equal(bakeTargetAttributes, want) {
		t.Errorf("bakeTargetAttributes = %q\nbuildx's bake.Target has %q", bakeTargetAttributes, want)
	}
}

// An attribute buildx does not know is a warning at its line naming the one meant; the target is
// still read, and a matrix names it once.
func TestBakeUnknownAttributesAreNamed(t *testing.T) {
	res := find(t, map[string]string{
		"docker-bake.hcl": "target \"web\" {\n  name = \"web-${v}\"\n  matrix = { v = [\"a\", \"b\"] }\n  context = \"web\"\n  dockerfil = \"Dockerfile\"\n  cache_from = [\"x\"]\n}\n",
		"web/Dockerfile":  "FROM scratch\n",
	})
	want := []string{
		`docker-bake.hcl:5: target "web-a": unknown attribute "dockerfil", which buildx rejects; did you mean "dockerfile"?`,
		`docker-bake.hcl:6: target "web-a": unknown attribute "cache_from", which buildx rejects; did you mean "cache-from"?`,
	}
	var got []string
	for _, w := range res.Warnings {
		if strings.Contains(w, "unknown attribute") {
			got = append(got, w)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\ngot  %q\nwant %q", got, want)
	}
	var names []string
	for _, b := range res.Builds {
		if b.Source == SourceBake {
			names = append(names, b.Name)
		}
	}
	if !slices.Equal(names, []string{"web-a", "web-b"}) {
		t.Errorf("bake builds: got %q, want web-a and web-b", names)
	}
}
