package discover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

type skaffoldDoc struct {
	Build struct {
		Artifacts []struct {
			Image   string `yaml:"image"`
			Context string `yaml:"context"`
			Docker  *struct {
				Dockerfile string             `yaml:"dockerfile"`
				Target     string             `yaml:"target"`
				BuildArgs  map[string]*string `yaml:"buildArgs"`
			} `yaml:"docker"`
		} `yaml:"artifacts"`
	} `yaml:"build"`
}

// skaffold reads skaffold artifacts (image, context, docker.dockerfile, target, buildArgs) from
// every skaffold.yaml; contexts are relative to the file's directory. Every document counts
// (skaffold allows several configs in one file).
func (f *finder) skaffold(ctx context.Context) []Build {
	var out []Build
	for _, file := range f.tree.skaffold {
		builds, err := f.loadSkaffold(file)
		if err != nil {
			f.broken(err)
			continue
		}
		out = append(out, builds...)
	}
	return out
}

func (f *finder) loadSkaffold(file string) ([]Build, error) {
	f.read(file)
	data, err := readFile(f.root, file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("reading: %v", err), Err: err}
	}
	dir := path.Dir(file)
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var out []Build
	for {
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, yamlError(file, err)
		}
		var doc skaffoldDoc
		if err := node.Decode(&doc); err != nil {
			return nil, yamlError(file, err)
		}
		lines := artifactLines(&node)
		for i, a := range doc.Build.Artifacts {
			if a.Image == "" {
				continue
			}
			if a.Docker == nil && a.Context == "" {
				continue // a buildpacks/jib/ko artifact has no Dockerfile
			}
			c := a.Context
			if c == "" {
				c = "."
			}
			df := "Dockerfile"
			b := Build{Name: ImageName(a.Image), Source: SourceSkaffold, File: file, Tags: []string{a.Image}}
			if i < len(lines) {
				b.Line = lines[i]
			}
			if a.Docker != nil {
				if a.Docker.Dockerfile != "" {
					df = a.Docker.Dockerfile
				}
				b.Target = a.Docker.Target
				for k, v := range a.Docker.BuildArgs {
					if b.Args == nil {
						b.Args = map[string]string{}
					}
					if v != nil {
						b.Args[k] = *v
					}
				}
			}
			c = path.Join(dir, c)
			if path.IsAbs(a.Context) || Escapes(c) || Escapes(path.Join(c, df)) {
				return nil, &Error{File: file, Line: b.Line, Msg: fmt.Sprintf("artifact %q: context or dockerfile leaves the repository", a.Image)}
			}
			b.Context = joinRel(c)
			b.Dockerfile = joinRel(c, df)
			out = append(out, b)
		}
	}
	return out, nil
}

// artifactLines returns the line of each build.artifacts entry of a skaffold document.
func artifactLines(doc *yaml.Node) []int {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	arts := mapValue(mapValue(doc, "build"), "artifacts")
	if arts == nil || arts.Kind != yaml.SequenceNode {
		return nil
	}
	var out []int
	for _, a := range arts.Content {
		out = append(out, a.Line)
	}
	return out
}

// yamlError gives a YAML error the file's name and, where the parser says it, the line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := composeLineRE.FindStringSubmatchIndex(msg); m != nil {
		var line int
		fmt.Sscanf(msg[m[2]:m[3]], "%d", &line)
		return &Error{File: file, Line: line, Msg: msg[m[1]:], Err: err}
	}
	return &Error{File: file, Msg: msg, Err: err}
}
