package discover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/monoctx/monoctx/internal/textdist"
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
	data, err := f.readFile(file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("reading: %v", err), Err: err}
	}
	dir := path.Dir(file)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Build
	for {
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, YAMLError(file, data, err)
		}
		var doc skaffoldDoc
		if err := node.Decode(&doc); err != nil {
			return nil, YAMLError(file, data, err)
		}
		f.checkSkaffoldKeys(file, &node)
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
	arts := skaffoldValue(skaffoldValue(doc, "build"), "artifacts")
	if arts == nil || arts.Kind != yaml.SequenceNode {
		return nil
	}
	var out []int
	for _, a := range arts.Content {
		out = append(out, a.Line)
	}
	return out
}

// skaffoldValue returns the value of key in mapping n, or nil.
func skaffoldValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// The keys of skaffold's schema (v4beta) in the parts of a skaffold.yaml monoctx reads. skaffold
// rejects any other key, so one here is a typo whose setting monoctx (and skaffold) would miss.
var (
	skaffoldTopKeys = []string{"apiVersion", "build", "customActions", "deploy", "kind", "manifests", "metadata",
		"portForward", "profiles", "render", "requires", "resourceSelector", "test", "verify"}
	skaffoldBuildKeys = []string{"artifacts", "cluster", "googleCloudBuild", "insecureRegistries", "local",
		"platforms", "tagPolicy"}
	skaffoldArtifactKeys = []string{"bazel", "buildpacks", "context", "custom", "docker", "hooks", "image", "jib",
		"kaniko", "ko", "platforms", "requires", "runtimeType", "sync"}
	skaffoldDockerKeys = []string{"addHost", "buildArgs", "cacheFrom", "cacheTo", "cliFlags", "dockerfile",
		"network", "noCache", "pullParent", "secrets", "squash", "ssh", "target"}
)

// checkSkaffoldKeys warns of every key of a skaffold document that skaffold's schema does not have,
// where monoctx reads it: the top level, build, each artifact and its docker section.
func (f *finder) checkSkaffoldKeys(file string, doc *yaml.Node) {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	check := func(n *yaml.Node, where string, known []string) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if slices.Contains(known, k.Value) {
				continue
			}
			hint := ""
			for _, c := range known {
				if strings.EqualFold(c, k.Value) || textdist.Levenshtein(strings.ToLower(k.Value), strings.ToLower(c)) <= 2 {
					hint = fmt.Sprintf("did you mean %q? ", c)
					break
				}
			}
			f.warn("%s:%d: unknown key %q in %s, which skaffold rejects; %sthe keys there are %s", file, k.Line, k.Value, where, hint, strings.Join(known, ", "))
		}
	}
	check(doc, "the top level", skaffoldTopKeys)
	build := skaffoldValue(doc, "build")
	check(build, "build", skaffoldBuildKeys)
	if arts := skaffoldValue(build, "artifacts"); arts != nil && arts.Kind == yaml.SequenceNode {
		for _, a := range arts.Content {
			check(a, "a build artifact", skaffoldArtifactKeys)
			check(skaffoldValue(a, "docker"), "an artifact's docker", skaffoldDockerKeys)
		}
	}
}
