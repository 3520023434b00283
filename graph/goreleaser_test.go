package graph

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseReleaseBuilds(t *testing.T) {
	src := `builds:
  - binary: temporal-server
    dir: cmd/server
  - binary: "{{ .ProjectName }}"
  - binary: tool
    main: ./cmd/tool/main.go
  - binary: bin/x
    dir: tools
    main: ./x
  - binary: up
    dir: ../other
  - main: ./cmd/nameless
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	got := parseReleaseBuilds(".goreleaser.yml", doc.Content[0])
	want := []releaseBuild{
		{".goreleaser.yml", 2, "temporal-server", "cmd/server"},
		{".goreleaser.yml", 5, "tool", "cmd/tool"},
		{".goreleaser.yml", 7, "x", "tools/x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
