package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/discover"
)

// baseDefsKind is the cache kind of the app definitions at a base: baseApp values as JSON. Change
// the number when baseApp or what discovery finds changes.
const baseDefsKind cache.Kind = "base-definitions/2"

// baseApp is what affected compares of an app defined at base (definitionChanges, defOf,
// originFile). The definitions at base are always returned through it, kept or not, so that both
// give the same apps.
type baseApp struct {
	Name           string            `json:"name"`
	Dockerfile     string            `json:"dockerfile"`
	Context        string            `json:"context"`
	Origin         string            `json:"origin"`
	Target         string            `json:"target,omitempty"`
	Args           map[string]string `json:"args"`
	Contexts       map[string]string `json:"contexts"`
	Config         *AppConfig        `json:"config,omitempty"`
	ContextUnknown bool              `json:"context_unknown,omitempty"`
}

func toBaseApps(apps map[string]*App) []baseApp {
	out := make([]baseApp, 0, len(apps))
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		a := apps[name]
		out = append(out, baseApp{Name: name, Dockerfile: a.Dockerfile, Context: a.Context, Origin: a.Origin, Target: a.Target,
			Args: a.Args, Contexts: a.Contexts, Config: a.config, ContextUnknown: a.contextUnknown})
	}
	return out
}

func fromBaseApps(list []baseApp) map[string]*App {
	out := make(map[string]*App, len(list))
	for _, b := range list {
		out[b.Name] = &App{Name: b.Name, Dockerfile: b.Dockerfile, Context: b.Context, Origin: b.Origin, Target: b.Target,
			Args: b.Args, Contexts: b.Contexts, config: b.Config, contextUnknown: b.ContextUnknown}
	}
	return out
}

// reachesOut reports what makes compose-go read files from the OS, outside the contents: a
// top-level include, a service's extends (and any other line that says so: over-reading only
// keeps less).
func reachesOut(data []byte) bool {
	return bytes.HasPrefix(data, []byte("include:")) || bytes.Contains(data, []byte("\ninclude:")) || bytes.Contains(data, []byte("extends:"))
}

// baseDefsKey is the cache id of discovery over contents (the definition files at base, by path;
// nil for a file that exists only to be found) and list (the tree's paths), with the config file
// cfgFile and the environment env: "" when it is not to be kept. A bake file reads variables of
// any name from the environment, and a compose file that includes or extends others reads them
// from the disk: with either, nothing is kept.
func baseDefsKey(root, cfgFile string, contents map[string][]byte, list, env []string) string {
	h := sha256.New()
	write := func(s string) { h.Write([]byte(strconv.Itoa(len(s)) + ":" + s)) }
	write(string(baseDefsKind))
	write(root)
	write(cfgFile)
	names := map[string]bool{"HOME": true}
	for _, p := range slices.Sorted(maps.Keys(contents)) {
		data := contents[p]
		if strings.HasPrefix(p[strings.LastIndex(p, "/")+1:], "docker-bake") || reachesOut(data) {
			return ""
		}
		write(p)
		if data == nil {
			write("\x00none")
			continue
		}
		write(string(data))
		discover.EnvNames(data, names)
	}
	write(strconv.Itoa(len(list)))
	for _, p := range list {
		write(p)
	}
	for _, kv := range discover.EnvValues(env, names, "COMPOSE_", "DOCKER_", "BUILDX_") {
		write(kv)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (g *Graph) keptBaseDefinitions(id string) (map[string]*App, bool) {
	if id == "" {
		return nil, false
	}
	v, ok := g.cache.Get(baseDefsKind, id, "")
	if !ok {
		return nil, false
	}
	var list []baseApp
	if json.Unmarshal(v, &list) != nil {
		return nil, false
	}
	return fromBaseApps(list), true
}

func (g *Graph) keepBaseDefinitions(id string, list []baseApp) {
	if id == "" {
		return
	}
	if v, err := json.Marshal(list); err == nil {
		g.cache.Put(baseDefsKind, id, "", v)
	}
}
