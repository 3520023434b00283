package graph

import (
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/yamlcache"
)

// goreleaserFiles are where GoReleaser looks for its configuration, in its order.
var goreleaserFiles = []string{".config/goreleaser.yml", ".config/goreleaser.yaml", ".goreleaser.yml", ".goreleaser.yaml", "goreleaser.yml", "goreleaser.yaml"}

// releaseBuild is one `builds:` entry of a GoReleaser configuration: the binary it names and the
// Go main package that builds it.
type releaseBuild struct {
	file   string
	line   int
	binary string
	pkg    string // repo-relative directory
}

// releaseBuilds reads the first GoReleaser configuration of the repository (once per load): many
// Go monorepos build their binaries with it and COPY them into images (temporalio/temporal's
// temporal-server is cmd/server's). A build whose binary or directory is a template is skipped.
func (st *artifactState) releaseBuilds(root string) []releaseBuild {
	st.releaseOnce.Do(func() {
		for _, f := range goreleaserFiles {
			data, err := st.fs.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
			if err != nil {
				continue
			}
			doc, err := yamlcache.Document(st.cache, data)
			if err != nil || len(doc.Content) == 0 {
				return // GoReleaser reports it; nothing here is explained by it
			}
			st.release = parseReleaseBuilds(f, doc.Content[0])
			return
		}
	})
	return st.release
}

func parseReleaseBuilds(file string, top *yaml.Node) []releaseBuild {
	var builds *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "builds" {
			builds = top.Content[i+1]
		}
	}
	if builds == nil || builds.Kind != yaml.SequenceNode {
		return nil
	}
	var out []releaseBuild
	for _, b := range builds.Content {
		if b.Kind != yaml.MappingNode {
			continue
		}
		vals := map[string]string{}
		for i := 0; i+1 < len(b.Content); i += 2 {
			if v := b.Content[i+1]; v.Kind == yaml.ScalarNode {
				vals[b.Content[i].Value] = v.Value
			}
		}
		main := vals["main"]
		if strings.HasSuffix(main, ".go") {
			main = path.Dir(main)
		}
		dir := path.Clean(path.Join(".", vals["dir"], main))
		bin := vals["binary"]
		if bin == "" || strings.Contains(bin, "{{") || strings.Contains(dir, "{{") || strings.HasPrefix(dir, "..") {
			continue
		}
		out = append(out, releaseBuild{file: file, line: b.Line, binary: path.Base(bin), pkg: dir})
	}
	return out
}
