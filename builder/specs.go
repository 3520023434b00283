package builder

import (
	"encoding/csv"
	"fmt"
	"strings"
)

// The flag syntaxes of buildx (docs.docker.com/reference/cli/docker/buildx/build), parsed here
// rather than with buildx's util/buildflags, which would bring cobra into a library package.

// exportSpec is one --output value.
type exportSpec struct {
	Type        string
	Destination string
	Attrs       map[string]string
}

func csvFields(s string) ([]string, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.LazyQuotes = true
	fields, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	return fields, nil
}

// keyValues splits CSV fields of key=value; keys are lower-cased.
func keyValues(s string) ([][2]string, error) {
	fields, err := csvFields(s)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("%q: field %q is not KEY=VALUE", s, f)
		}
		out = append(out, [2]string{strings.ToLower(strings.TrimSpace(k)), v})
	}
	return out, nil
}

func parseExports(specs []string) ([]*exportSpec, error) {
	var out []*exportSpec
	for _, s := range specs {
		if s == "" {
			continue
		}
		e := &exportSpec{Attrs: map[string]string{}}
		if !strings.Contains(s, "=") && !strings.Contains(s, ",") {
			// A bare path: a directory, or "-" for a tar on stdout.
			e.Type, e.Destination = "local", s
			if s == "-" {
				e.Type = "tar"
			}
			out = append(out, e)
			continue
		}
		kvs, err := keyValues(s)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			switch kv[0] {
			case "type":
				e.Type = kv[1]
			case "dest":
				e.Destination = kv[1]
			default:
				e.Attrs[kv[0]] = kv[1]
			}
		}
		if e.Type == "" {
			return nil, fmt.Errorf("%q: type is required", s)
		}
		out = append(out, e)
	}
	return out, nil
}

// cacheSpec is one --cache-from or --cache-to value.
type cacheSpec struct {
	Type  string
	Attrs map[string]string
}

func parseCaches(specs []string) ([]cacheSpec, error) {
	var out []cacheSpec
	for _, s := range specs {
		if s == "" {
			continue
		}
		if !strings.Contains(s, "=") {
			// Registry references, one per field.
			refs, err := csvFields(s)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				out = append(out, cacheSpec{Type: "registry", Attrs: map[string]string{"ref": r}})
			}
			continue
		}
		kvs, err := keyValues(s)
		if err != nil {
			return nil, err
		}
		c := cacheSpec{Attrs: map[string]string{}}
		for _, kv := range kvs {
			if kv[0] == "type" {
				c.Type = kv[1]
			} else {
				c.Attrs[kv[0]] = kv[1]
			}
		}
		if c.Type == "" {
			return nil, fmt.Errorf("%q: type is required", s)
		}
		out = append(out, c)
	}
	return out, nil
}

// secretSpec is one --secret value: id=ID[,src=FILE|,env=VAR][,type=file|env].
type secretSpec struct{ ID, FilePath, Env string }

func parseSecrets(specs []string) ([]secretSpec, error) {
	var out []secretSpec
	for _, s := range specs {
		kvs, err := keyValues(s)
		if err != nil {
			return nil, err
		}
		var sec secretSpec
		typ := ""
		for _, kv := range kvs {
			switch kv[0] {
			case "id":
				sec.ID = kv[1]
			case "src", "source":
				sec.FilePath = kv[1]
			case "env":
				sec.Env = kv[1]
			case "type":
				if kv[1] != "file" && kv[1] != "env" {
					return nil, fmt.Errorf("%q: type %q (want file or env)", s, kv[1])
				}
				typ = kv[1]
			default:
				return nil, fmt.Errorf("%q: unknown key %q (want id, src, env, type)", s, kv[0])
			}
		}
		if typ == "env" && sec.Env == "" {
			sec.Env, sec.FilePath = sec.FilePath, ""
			if sec.Env == "" {
				sec.Env = sec.ID
			}
		}
		if sec.ID == "" {
			return nil, fmt.Errorf("%q: id is required", s)
		}
		out = append(out, sec)
	}
	return out, nil
}

// sshSpec is one --ssh value: default, or ID[=SOCKET|KEY[,KEY…]].
type sshSpec struct {
	ID    string
	Paths []string
}

func parseSSH(specs []string) ([]sshSpec, error) {
	var out []sshSpec
	for _, s := range specs {
		id, paths, _ := strings.Cut(s, "=")
		if id == "" {
			return nil, fmt.Errorf("--ssh %q: want default or ID[=SOCKET|KEY[,KEY…]]", s)
		}
		sp := sshSpec{ID: id}
		if paths != "" {
			sp.Paths = strings.Split(paths, ",")
		}
		out = append(out, sp)
	}
	return out, nil
}
