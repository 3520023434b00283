package discover

import (
	"context"
	"encoding/json"
	"path"
	"strings"

	"github.com/monoctx/monoctx/internal/jsonc"
)

// devcontainers reads devcontainer.json files: build.dockerfile, build.context (relative to the
// file), build.args and build.target, and the older top-level dockerFile/context.
func (f *finder) devcontainers(ctx context.Context) []Build {
	var out []Build
	for _, dc := range f.tree.devcont {
		f.read(dc)
		data, err := f.readFile(dc)
		if err != nil {
			continue
		}
		var doc struct {
			Name       string `json:"name"`
			DockerFile string `json:"dockerFile"`
			Context    string `json:"context"`
			Build      *struct {
				Dockerfile string            `json:"dockerfile"`
				Context    string            `json:"context"`
				Target     string            `json:"target"`
				Args       map[string]string `json:"args"`
			} `json:"build"`
		}
		if err := json.Unmarshal(jsonc.Strip(data), &doc); err != nil {
			f.broken(&Error{File: dc, Msg: "not valid JSON with comments: " + err.Error(), Err: err})
			continue
		}
		df, c := doc.DockerFile, doc.Context
		var b Build
		if doc.Build != nil {
			if doc.Build.Dockerfile != "" {
				df = doc.Build.Dockerfile
			}
			if doc.Build.Context != "" {
				c = doc.Build.Context
			}
			b.Target, b.Args = doc.Build.Target, doc.Build.Args
		}
		if df == "" {
			continue // an image or compose based container
		}
		if c == "" {
			c = "."
		}
		dir := path.Dir(dc)
		b.Dockerfile = cleanRel(path.Join(dir, df))
		b.Context = cleanRel(path.Join(dir, c))
		if Escapes(b.Dockerfile) || Escapes(b.Context) || path.IsAbs(df) || path.IsAbs(c) {
			f.warn("%s: build leaves the repository; skipped", dc)
			continue
		}
		if strings.Contains(b.Dockerfile+b.Context, "${") {
			f.warn("%s: build paths use variables monoctx does not expand; skipped", dc)
			continue
		}
		b.Name = DockerfileAppName(f.root, b.Dockerfile)
		b.Source, b.File, b.Line, b.Group = SourceDevcontainer, dc, lineOf(data, `"build"`, `"dockerFile"`), dc
		out = append(out, b)
	}
	return out
}

// lineOf is the 1-based line of the first of keys found in data, 0 when none is.
func lineOf(data []byte, keys ...string) int {
	for _, k := range keys {
		if i := strings.Index(string(data), k); i >= 0 {
			return strings.Count(string(data[:i]), "\n") + 1
		}
	}
	return 0
}
