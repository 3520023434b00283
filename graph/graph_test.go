package graph

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestWriteGraphIsDeterministic(t *testing.T) {
	dir := newTree(t, monorepo())
	writeTree(t, dir, map[string]string{
		"apps/site/Dockerfile":    "FROM scratch\nCOPY . /s\n",
		"apps/site/index.html":    "x",
		"apps/we|b/Dockerfile":    "FROM scratch\nCOPY x /x\n",
		"apps/we|b/x":             "x",
		"apps/q\"uote/Dockerfile": "FROM scratch\nCOPY x /x\n",
		"apps/q\"uote/x":          "x",
	})
	for _, format := range []string{"text", "json", "dot", "mermaid"} {
		t.Run(format, func(t *testing.T) {
			var first bytes.Buffer
			if err := mustLoad(t, dir).WriteGraph(&first, format); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				var again bytes.Buffer
				if err := mustLoad(t, dir).WriteGraph(&again, format); err != nil {
					t.Fatal(err)
				}
				if first.String() != again.String() {
					t.Fatalf("load %d differs:\ngot  %q\nwant %q", i+2, again.String(), first.String())
				}
			}
			if first.Len() == 0 {
				t.Fatal("got empty output")
			}
		})
	}
}

func TestWriteGraphJSONShape(t *testing.T) {
	g := mustLoad(t, newTree(t, monorepo()))
	var buf bytes.Buffer
	if err := g.WriteGraph(&buf, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Nodes []Node `json:"nodes"`
		Edges []Edge `json:"edges"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("json does not parse: %v\n%s", err, buf.String())
	}
	var edges []string
	for _, e := range got.Edges {
		edges = append(edges, e.App+": "+e.From+" -> "+e.To)
	}
	want := []string{
		"api: services/api -> libs/auth",
		"billing: services/billing -> libs/auth",
		"billing: services/billing -> libs/proto",
	}
	if !reflect.DeepEqual(edges, want) {
		t.Errorf("edges: got %q, want %q", edges, want)
	}
	var nodes []string
	for _, n := range got.Nodes {
		nodes = append(nodes, n.Kind+":"+n.Dir)
	}
	wantNodes := []string{"lib:libs/auth", "lib:libs/proto", "app:services/api", "app:services/billing", "app:tools/worker"}
	if !reflect.DeepEqual(nodes, wantNodes) {
		t.Errorf("nodes: got %q, want %q", nodes, wantNodes)
	}
	for _, e := range got.Edges {
		if len(e.Rules) == 0 || !strings.Contains(e.Rules[0], "Dockerfile:") {
			t.Errorf("edge %s -> %s: got rules %q, want a Dockerfile:line rule", e.From, e.To, e.Rules)
		}
	}
}

func TestWriteGraphFormats(t *testing.T) {
	g := mustLoad(t, newTree(t, monorepo()))
	tests := []struct {
		format string
		want   []string
	}{
		{"", []string{"billing (services/billing/Dockerfile)\n", "  -> libs/proto  services/billing/Dockerfile:2 COPY libs/proto /proto\n"}},
		{"text", []string{"api (services/api/Dockerfile)\n"}},
		{"dot", []string{"digraph monoctx {\n", `"services/billing" -> "libs/proto" [label="billing"];`, `"libs/proto" [shape=folder];`}},
		{"mermaid", []string{"graph LR\n", `[("libs/proto")]`, `-->|billing|`}},
	}
	for _, tt := range tests {
		t.Run("format="+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := g.WriteGraph(&buf, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("got %q, want it to contain %q", buf.String(), w)
				}
			}
		})
	}
	if err := g.WriteGraph(&bytes.Buffer{}, "svg"); err == nil || !strings.Contains(err.Error(), `unknown graph format "svg"`) {
		t.Errorf("svg: got %v, want an unknown-format error", err)
	}
}

func TestGraphAppFindsByNameOrDockerfile(t *testing.T) {
	files := monorepo()
	files["tools/worker/Dockerfile.debug"] = "FROM scratch\nCOPY worker.sh /w\n"
	g := mustLoad(t, newTree(t, files))
	tests := []struct {
		ref     string
		want    string
		wantErr string
	}{
		{ref: "api", want: "api"},
		{ref: "tools/worker", want: "tools/worker"},
		{ref: "services/billing/Dockerfile", want: "billing"},
		{ref: "services/billing", want: "billing"},
		{ref: "./services/billing/", want: "billing"},
		{ref: "./tools/worker", wantErr: "names several apps (tools/worker, tools/worker/Dockerfile.debug)"},
		{ref: "nope", wantErr: `no app "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			a, err := g.App(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != tt.want {
				t.Errorf("got %q, want %q", a.Name, tt.want)
			}
		})
	}
}

func TestLoadExampleMonorepo(t *testing.T) {
	g := mustLoad(t, "../testdata/example")
	want := []string{
		"name=api dockerfile=services/api/Dockerfile context=. origin=config:monoctx.yaml target= args=SERVICE=api tags=example/api:dev",
		"name=apps/web dockerfile=apps/web/Dockerfile context=apps/web origin=dockerfile target= args= tags=",
		"name=billing dockerfile=services/billing/Dockerfile context=. origin=compose:compose.yaml target=runtime args= tags=",
		"name=tools/worker dockerfile=tools/worker/Dockerfile context=. origin=dockerfile target= args= tags=",
	}
	if got := appLines(g); !reflect.DeepEqual(got, want) {
		t.Errorf("apps:\ngot  %q\nwant %q", got, want)
	}
	checkExplain(t, g, []explainCase{
		{"api", "libs/auth/token.go", true, "services/api/Dockerfile:5"},
		{"api", "services/api/README.md", false, "excluded by .dockerignore:2"},
		{"api", "build/api.env", true, "monoctx.yaml:9"},
		{"billing", "services/billing/testdata/x", true, "services/billing/Dockerfile:6"},
		{"billing", "libs/auth/token.go", false, "no COPY"},
		{"apps/web", "apps/web/drafts/next.html", false, "apps/web/Dockerfile.dockerignore:2"},
		{"tools/worker", "libs/ui/button.js", true, "tools/worker/Dockerfile:4"},
	})
}
