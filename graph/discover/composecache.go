package discover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
)

// composeModel is what discovery takes from a loaded compose project, and what the parse cache
// keeps of it: compose-go's loader was a fifth of a large repository's warm run.
type composeModel struct {
	Services []composeService `json:"services"` // by name
	// Env holds the project's variables that its files (or .env) name, or that compose reads
	// itself (COMPOSE_*, DOCKER_*, HOME): the only ones discovery looks up.
	Env map[string]string `json:"env"`
}

type composeService struct {
	Name  string        `json:"name"`
	Image string        `json:"image,omitempty"`
	Build *composeBuild `json:"build,omitempty"`
}

type composeBuild struct {
	Context            string            `json:"context"`
	Dockerfile         string            `json:"dockerfile,omitempty"`
	DockerfileInline   string            `json:"dockerfile_inline,omitempty"`
	Target             string            `json:"target,omitempty"`
	Args               map[string]string `json:"args,omitempty"` // the args given a value
	Tags               []string          `json:"tags,omitempty"`
	Platforms          []string          `json:"platforms,omitempty"`
	AdditionalContexts map[string]string `json:"additional_contexts,omitempty"`
}

const composeKind cache.Kind = "compose-model/1"

// EnvNames adds to names the variables data may interpolate, as compose does: every $NAME and
// ${NAME…} (over-reading $$NAME only makes a key stricter). A scan, not a regexp: keys of a large
// repository read a few hundred KB.
func EnvNames(data []byte, names map[string]bool) {
	for i := bytes.IndexByte(data, '$'); i >= 0; {
		j := i + 1
		if j < len(data) && data[j] == '{' {
			j++
		}
		k := j
		for k < len(data) && (data[k] == '_' || '0' <= data[k] && data[k] <= '9' || 'a' <= data[k] && data[k] <= 'z' || 'A' <= data[k] && data[k] <= 'Z') {
			k++
		}
		if k > j {
			names[string(data[j:k])] = true
		}
		n := bytes.IndexByte(data[k:], '$')
		if n < 0 {
			break
		}
		i = k + n
	}
}

// EnvValues is what a cache key holds of env: for each name, and each variable of env whose name
// has one of prefixes (added to names), "NAME=value" or "NAME\x00unset", in name order; the last
// definition in env wins, as in os/exec.
func EnvValues(env []string, names map[string]bool, prefixes ...string) []string {
	vars := map[string]string{}
	for _, kv := range env {
		n, v, _ := strings.Cut(kv, "=")
		vars[n] = v
		for _, p := range prefixes {
			if strings.HasPrefix(n, p) {
				names[n] = true
			}
		}
	}
	out := make([]string, 0, len(names))
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if v, ok := vars[n]; ok {
			out = append(out, n+"="+v)
		} else {
			out = append(out, n+"\x00unset")
		}
	}
	return out
}

// composeModelOf loads the project (see composeProject) and keeps what discovery reads of it. With
// Options.Cache it is read from and stored in the parse cache, keyed by the content of the
// project's files and .env, the variables they name, where it lies and how it is read. A project
// whose files include or extend others (compose-go reads those from the OS) is never cached.
func (f *finder) composeModelOf(ctx context.Context, pr composeProject, abs, env []string) (*composeModel, error) {
	return f.composeModelWith(ctx, pr, abs, env, f.composeProject)
}

// composeModelWith is composeModelOf loading the project with load.
func (f *finder) composeModelWith(ctx context.Context, pr composeProject, abs, env []string, load func(context.Context, composeProject, []string, []string) (*types.Project, error)) (*composeModel, error) {
	id, names := f.composeKey(pr, env)
	if id != "" {
		if v, ok := f.opts.Cache.Get(composeKind, id, ""); ok {
			var m composeModel
			if json.Unmarshal(v, &m) == nil {
				return &m, nil
			}
		}
	}
	proj, err := load(ctx, pr, abs, env)
	if err != nil {
		return nil, err // not cached: the error names the file
	}
	m := newComposeModel(proj, names)
	if id != "" {
		if v, err := json.Marshal(m); err == nil {
			f.opts.Cache.Put(composeKind, id, "", v)
		}
	}
	return m, nil
}

func newComposeModel(proj *types.Project, names map[string]bool) *composeModel {
	m := &composeModel{Env: map[string]string{}}
	services := proj.AllServices()
	for _, name := range slices.Sorted(maps.Keys(services)) {
		svc := services[name]
		cs := composeService{Name: name, Image: svc.Image}
		if b := svc.Build; b != nil {
			cb := &composeBuild{Context: b.Context, Dockerfile: b.Dockerfile, DockerfileInline: b.DockerfileInline,
				Target: b.Target, Tags: b.Tags, Platforms: b.Platforms, AdditionalContexts: b.AdditionalContexts}
			for k, v := range b.Args {
				if v != nil {
					if cb.Args == nil {
						cb.Args = map[string]string{}
					}
					cb.Args[k] = *v
				}
			}
			cs.Build = cb
		}
		m.Services = append(m.Services, cs)
	}
	for n := range names {
		if v, ok := proj.Environment[n]; ok {
			m.Env[n] = v
		}
	}
	return m
}

// composeKey is the cache id of the project loaded with env ("" when it is not to be cached) and
// the variable names the model keeps.
func (f *finder) composeKey(pr composeProject, env []string) (string, map[string]bool) {
	names := map[string]bool{"HOME": true}
	h := sha256.New()
	onDisk := true
	write := func(s string) { h.Write([]byte(strconv.Itoa(len(s)) + ":" + s)) }
	write(string(composeKind))
	write(f.root)
	write(pr.dir)
	cacheable := f.opts.Cache != nil
	for _, p := range append(slices.Clone(pr.files), path.Join(pr.dir, ".env")) {
		onDisk = onDisk && tree.OnDisk(f.view, p)
		write(p)
		data, err := f.readFile(p)
		switch {
		case err != nil && p == path.Join(pr.dir, ".env") && !f.tree.isFile(p):
			write("\x00absent")
			continue
		case err != nil:
			cacheable = false // the load reports it
			continue
		}
		if bytes.Contains(data, []byte("include")) || bytes.Contains(data, []byte("extends")) {
			cacheable = false
		}
		write(string(data))
		EnvNames(data, names)
	}
	write(strconv.FormatBool(onDisk))
	for _, kv := range EnvValues(env, names, "COMPOSE_", "DOCKER_") {
		write(kv)
	}
	if !cacheable {
		return "", names
	}
	return hex.EncodeToString(h.Sum(nil)), names
}
