package builder

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
)

// Flags are the build options as written on a command line, in buildx's syntax.
type Flags struct {
	// Platforms are target platforms ("linux/amd64", "linux/arm64"); several make a multi-platform build.
	Platforms []string
	// Outputs are --output values: "type=local,dest=DIR", "type=oci,dest=FILE", "type=docker,dest=FILE",
	// "type=image,name=REF,push=true", "type=registry,name=REF", "type=tar,dest=FILE", or a bare
	// directory ("-" is a tar on Stdout).
	Outputs []string
	// CacheFrom and CacheTo are --cache-from/--cache-to values (type=registry|local|gha|inline,…).
	CacheFrom, CacheTo []string
	// Secrets are --secret values (id=ID,src=FILE or id=ID,env=VAR).
	Secrets []string
	// SSH are --ssh values (default, or ID=SOCKET|KEY[,…]).
	SSH []string
	// Network is the network of RUN steps: "" or "default", "none", or "host" (which buildkitd
	// must allow: --allow-insecure-entitlement network.host).
	Network string
	// Progress is auto, plain, tty or quiet.
	Progress string
	// ProgressOut receives BuildKit's progress display; nil shows none.
	ProgressOut io.Writer
	// Stdout receives a tar output whose dest is "-".
	Stdout io.Writer
	// Getenv reads GitHub Actions cache credentials for type=gha; nil reads none.
	Getenv func(string) string
}

// Options are parsed and checked [Flags], shared by every build of one invocation.
type Options struct {
	Platforms   []string
	Network     string
	Progress    string
	ProgressOut io.Writer

	outputs   []*exportSpec
	cacheFrom []client.CacheOptionsEntry
	cacheTo   []client.CacheOptionsEntry
	secrets   session.Attachable
	ssh       session.Attachable
	stdout    io.Writer
	authOut   io.Writer
}

// ParseFlags checks every option before any build starts.
func ParseFlags(f Flags) (*Options, error) {
	o := &Options{Progress: f.Progress, ProgressOut: f.ProgressOut, stdout: f.Stdout, authOut: f.ProgressOut}
	switch f.Progress {
	case "", "auto", "plain", "tty", "quiet":
	default:
		return nil, fmt.Errorf("unknown --progress %q (want auto, plain, tty or quiet)", f.Progress)
	}
	switch f.Network {
	case "", "default":
	case "none", "host":
		o.Network = f.Network
	default:
		return nil, fmt.Errorf("unknown --network %q (want default, none or host)", f.Network)
	}
	for _, p := range f.Platforms {
		for _, p := range strings.Split(p, ",") {
			norm, err := platforms.Parse(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("--platform %q: %w", p, err)
			}
			o.Platforms = append(o.Platforms, platforms.Format(norm))
		}
	}
	var err error
	if o.outputs, err = parseExports(f.Outputs); err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	for _, e := range o.outputs {
		if err := checkOutput(e); err != nil {
			return nil, err
		}
	}
	getenv := f.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if o.cacheFrom, err = caches(f.CacheFrom, getenv); err != nil {
		return nil, fmt.Errorf("--cache-from: %w", err)
	}
	if o.cacheTo, err = caches(f.CacheTo, getenv); err != nil {
		return nil, fmt.Errorf("--cache-to: %w", err)
	}
	if len(f.Secrets) > 0 {
		specs, err := parseSecrets(f.Secrets)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		var srcs []secretsprovider.Source
		for _, s := range specs {
			srcs = append(srcs, secretsprovider.Source{ID: s.ID, FilePath: s.FilePath, Env: s.Env})
		}
		store, err := secretsprovider.NewStore(srcs)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		o.secrets = secretsprovider.NewSecretProvider(store)
	}
	if len(f.SSH) > 0 {
		specs, err := parseSSH(f.SSH)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
		var confs []sshprovider.AgentConfig
		for _, s := range specs {
			confs = append(confs, sshprovider.AgentConfig{ID: s.ID, Paths: s.Paths})
		}
		if o.ssh, err = sshprovider.NewSSHAgentProvider(confs); err != nil {
			return nil, fmt.Errorf("--ssh: %w", err)
		}
	}
	return o, nil
}

func checkOutput(e *exportSpec) error {
	switch e.Type {
	case client.ExporterLocal:
		if e.Destination == "" || e.Destination == "-" {
			return fmt.Errorf("--output type=local needs dest=DIR")
		}
		if fi, err := os.Stat(e.Destination); err == nil && !fi.IsDir() {
			return fmt.Errorf("--output type=local: %s is a file, not a directory", e.Destination)
		}
	case client.ExporterTar, client.ExporterOCI, client.ExporterDocker:
		if isDirOutput(e) {
			if e.Destination == "" || e.Destination == "-" {
				return fmt.Errorf("--output type=%s,tar=false needs dest=DIR", e.Type)
			}
			break
		}
		if e.Type != client.ExporterDocker && e.Destination == "" {
			e.Destination = "-"
		}
		if fi, err := os.Stat(e.Destination); e.Destination != "-" && err == nil && fi.IsDir() {
			return fmt.Errorf("--output type=%s: %s is a directory, not a file", e.Type, e.Destination)
		}
	case client.ExporterImage, "registry":
	default:
		return fmt.Errorf("--output: unknown type %q (want local, tar, oci, docker, image or registry)", e.Type)
	}
	return nil
}

func isDirOutput(e *exportSpec) bool {
	if e.Type != client.ExporterOCI && e.Type != client.ExporterDocker {
		return false
	}
	tar, err := strconv.ParseBool(e.Attrs["tar"])
	return err == nil && !tar
}

func caches(specs []string, getenv func(string) string) ([]client.CacheOptionsEntry, error) {
	entries, err := parseCaches(specs)
	if err != nil {
		return nil, err
	}
	var out []client.CacheOptionsEntry
	for _, e := range entries {
		c := client.CacheOptionsEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		if c.Type == "gha" {
			// As buildx does: the runner's cache service credentials, unless given.
			if _, ok := c.Attrs["token"]; !ok {
				if v := getenv("ACTIONS_RUNTIME_TOKEN"); v != "" {
					c.Attrs["token"] = v
				}
			}
			if _, ok := c.Attrs["url"]; !ok {
				if v := getenv("ACTIONS_CACHE_URL"); v != "" {
					c.Attrs["url"] = v
				}
			}
			if _, ok := c.Attrs["url_v2"]; !ok {
				if v := getenv("ACTIONS_RESULTS_URL"); v != "" {
					c.Attrs["url_v2"] = v
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// exports turns the outputs into BuildKit's, for one build with these tags. With no output, tags
// name an image: loaded into the engine on a Docker engine, kept in buildkitd's store otherwise.
func (o *Options) exports(tags []string, engine bool) ([]client.ExportEntry, error) {
	name := strings.Join(tags, ",")
	if len(o.outputs) == 0 {
		switch {
		case len(tags) == 0:
			return nil, nil
		case engine:
			return []client.ExportEntry{{Type: "moby", Attrs: map[string]string{"name": name}}}, nil
		default:
			return []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{"name": name}}}, nil
		}
	}
	var out []client.ExportEntry
	for _, e := range o.outputs {
		x := client.ExportEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
		if x.Attrs == nil {
			x.Attrs = map[string]string{}
		}
		switch e.Type {
		case "registry":
			x.Type = client.ExporterImage
			x.Attrs["push"] = "true"
		case client.ExporterDocker:
			if e.Destination == "" {
				if !engine {
					return nil, errors.New("--output type=docker without dest loads into a Docker engine: use --builder docker, or give dest=FILE")
				}
				x.Type = "moby"
			}
		}
		if _, ok := x.Attrs["name"]; !ok && name != "" && x.Type != client.ExporterLocal && x.Type != client.ExporterTar {
			x.Attrs["name"] = name
		}
		switch {
		case e.Type == client.ExporterLocal || isDirOutput(e):
			x.OutputDir = e.Destination
		case e.Type == client.ExporterTar || e.Type == client.ExporterOCI || (e.Type == client.ExporterDocker && e.Destination != ""):
			dest, stdout := e.Destination, o.stdout
			x.Output = func(map[string]string) (io.WriteCloser, error) {
				if dest == "-" {
					if stdout == nil {
						return nil, errors.New("no stdout for a tar output")
					}
					return nopCloser{stdout}, nil
				}
				return newAtomicFile(dest)
			}
		}
		out = append(out, x)
	}
	return out, nil
}

func (o *Options) auth() session.Attachable {
	out := o.authOut
	if out == nil {
		out = io.Discard
	}
	cfg := config.LoadDefaultConfigFile(out)
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
	})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// atomicFile is an output file that appears under its name only once completely written.
type atomicFile struct {
	*os.File
	dest string
}

func newAtomicFile(dest string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("creating output %s: %w", dest, err)
	}
	return &atomicFile{File: f, dest: dest}, nil
}

func (f *atomicFile) Close() error {
	err := f.Chmod(0o644) // CreateTemp's 0600 is for the temporary name only
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing output %s: %w", f.dest, err)
	}
	if err := os.Rename(f.Name(), f.dest); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing output %s: %w", f.dest, err)
	}
	return nil
}
