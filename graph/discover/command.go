package discover

import (
	"path"
	"slices"
	"strings"
)

// buildCommand is a `docker build` (or buildx, podman, buildah, nerdctl) command line, parsed.
type buildCommand struct {
	file      word // -f/--file; nil when absent
	context   word // the positional argument; nil when absent
	target    word
	args      [][2]word // --build-arg K=V
	tags      []word
	platforms []word
	contexts  [][2]word // --build-context NAME=VALUE
	// pipedFile is the repo-relative Dockerfile a feeding command names, for `… | docker build -`.
	pipedFile string
}

// flags of the build commands that take a value (docker, buildx, podman, buildah, nerdctl), so the
// value is not taken for the context. Unknown flags are taken as switches; the context is the last
// positional word, which keeps that guess harmless in the usual order.
var valueFlags = map[string]bool{
	"-f": true, "--file": true, "-t": true, "--tag": true, "--target": true, "--build-arg": true,
	"--platform": true, "--build-context": true, "--cache-from": true, "--cache-to": true,
	"--label": true, "--network": true, "-o": true, "--output": true, "--secret": true, "--ssh": true,
	"--progress": true, "--iidfile": true, "--metadata-file": true, "--builder": true,
	"--add-host": true, "--annotation": true, "--attest": true, "--provenance": true, "--sbom": true,
	"--allow": true, "--cgroup-parent": true, "--cpu-period": true, "--cpu-quota": true,
	"--cpu-shares": true, "--cpuset-cpus": true, "--cpuset-mems": true, "--isolation": true,
	"-m": true, "--memory": true, "--memory-swap": true, "--shm-size": true, "--ulimit": true,
	"--security-opt": true, "--call": true, "--format": true, "--authfile": true, "--cert-dir": true,
	"--creds": true, "--jobs": true, "--os": true, "--arch": true, "--variant": true, "-v": true,
	"--volume": true, "--env": true, "--runtime": true, "--sign-by": true, "--timestamp": true,
	"--logfile": true, "--manifest": true, "--ignorefile": true, "--retry": true,
	"--retry-delay": true, "--from": true, "--dns": true, "--device": true, "--cap-add": true,
	"--cap-drop": true, "--userns": true, "--signature-policy": true, "--layer-label": true,
	"--unsetenv": true, "--unsetlabel": true, "--hooks-dir": true, "--decryption-key": true,
	"--source-date-epoch": true, "--cache-ttl": true, "--pull-policy": true,
}

// globalValueFlags are flags of docker/podman before the subcommand that take a value.
var globalValueFlags = map[string]bool{
	"-c": true, "--context": true, "-H": true, "--host": true, "--config": true, "-l": true,
	"--log-level": true, "--root": true, "--runroot": true, "--storage-driver": true,
	"--connection": true, "--url": true, "--namespace": true, "-n": true, "--address": true,
}

// parseBuildCommand recognises a build command line; ok is false for any other command.
func parseBuildCommand(args []word) (buildCommand, bool) {
	var bc buildCommand
	tool, rest, ok := commandStart(args)
	if !ok {
		return bc, false
	}
	sub := func(want ...string) bool {
		if len(rest) < len(want) {
			return false
		}
		for i, w := range want {
			if s, _ := rest[i].text(); s != w {
				return false
			}
		}
		rest = rest[len(want):]
		return true
	}
	switch tool {
	case "docker", "nerdctl":
		if !sub("build") && !sub("image", "build") && !sub("buildx", "build") && !sub("buildx", "b") && !sub("builder", "build") {
			return bc, false
		}
	case "podman":
		if !sub("build") && !sub("image", "build") && !sub("buildx", "build") {
			return bc, false
		}
	case "buildah":
		if !sub("bud") && !sub("build") && !sub("build-using-dockerfile") {
			return bc, false
		}
	default:
		return bc, false
	}
	var positional []word
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		s := w.String()
		if !strings.HasPrefix(s, "-") || s == "-" {
			positional = append(positional, w)
			continue
		}
		if s == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		name, val := s, word(nil)
		if j := strings.IndexByte(s, '='); j > 0 && w[0].v == "" && strings.IndexByte(w[0].lit, '=') == j {
			name = s[:j]
			val = append(word{{lit: w[0].lit[j+1:]}}, w[1:]...)
			val = merge(val)
		} else if valueFlags[name] && i+1 < len(rest) {
			i++
			val = rest[i]
		} else if len(name) > 2 && name[1] != '-' && valueFlags[name[:2]] {
			val = append(word{{lit: w[0].lit[2:]}}, w[1:]...) // -fDockerfile
			name = name[:2]
		}
		if val == nil {
			continue
		}
		switch name {
		case "-f", "--file":
			bc.file = val
		case "-t", "--tag":
			bc.tags = append(bc.tags, val)
		case "--target":
			bc.target = val
		case "--platform":
			for _, p := range splitWord(val, ',') {
				bc.platforms = append(bc.platforms, p)
			}
		case "--build-arg":
			if k, v, ok := cutWord(val, '='); ok {
				bc.args = append(bc.args, [2]word{k, v})
			}
		case "--build-context":
			if k, v, ok := cutWord(val, '='); ok {
				bc.contexts = append(bc.contexts, [2]word{k, v})
			}
		}
	}
	// The context is the last positional word; a lone unknown variable after it is more likely
	// extra flags (`docker build . $EXTRA_ARGS`) than the context.
	for i := len(positional) - 1; i >= 0; i-- {
		w := positional[i]
		if i > 0 && len(w) == 1 && w[0].v != "" {
			continue
		}
		bc.context = w
		break
	}
	return bc, true
}

// commandStart strips a command's wrappers (sudo, env A=B, time, exec, command) and the tool's
// global flags: the tool's base name and the words after it.
func commandStart(args []word) (string, []word, bool) {
	for len(args) > 0 {
		s, _ := args[0].text()
		if s == "sudo" || s == "time" || s == "exec" || s == "command" || s == "env" {
			args = args[1:]
			continue
		}
		if s != "" && strings.Contains(s, "=") && !strings.HasPrefix(s, "-") && len(args) > 1 {
			args = args[1:] // env's A=B
			continue
		}
		break
	}
	if len(args) < 2 {
		return "", nil, false
	}
	tool, _ := args[0].text()
	rest := args[1:]
	for len(rest) > 0 {
		s, ok := rest[0].text()
		if !ok || !strings.HasPrefix(s, "-") {
			break
		}
		rest = rest[1:]
		if globalValueFlags[s] && len(rest) > 0 {
			rest = rest[1:]
		}
	}
	return path.Base(tool), rest, true
}

// bakeValueFlags are the flags of `docker buildx bake` that take a value.
var bakeValueFlags = map[string]bool{"-f": true, "--file": true, "--set": true, "--progress": true,
	"--metadata-file": true, "--builder": true, "--allow": true, "--call": true, "--provenance": true,
	"--sbom": true, "--list": true}

// parseBakeCommand reads a `docker buildx bake` (or `docker bake`) command: the files it names
// with -f/--file, none when it reads the default ones.
func parseBakeCommand(args []word) ([]word, bool) {
	tool, rest, ok := commandStart(args)
	if !ok || len(rest) == 0 {
		return nil, false
	}
	first, _ := rest[0].text()
	switch {
	case (tool == "docker" || tool == "nerdctl") && first == "buildx" && len(rest) > 1:
		if s, _ := rest[1].text(); s != "bake" {
			return nil, false
		}
		rest = rest[2:]
	case (tool == "docker" || tool == "docker-buildx" || tool == "buildx") && first == "bake":
		rest = rest[1:]
	default:
		return nil, false
	}
	var files []word
	for i := 0; i < len(rest); i++ {
		s, _ := rest[i].text()
		name, val, hasVal := strings.Cut(s, "=")
		if !strings.HasPrefix(name, "-") {
			continue // a target, or a word of unknown value
		}
		isFile := name == "-f" || name == "--file"
		if !hasVal && bakeValueFlags[name] && i+1 < len(rest) {
			i++
			if isFile {
				files = append(files, rest[i])
			}
			continue
		}
		if hasVal && isFile {
			files = append(files, litWord(val))
		}
	}
	return files, true
}

// cutWord splits a word at the first sep in a literal part.
func cutWord(w word, sep byte) (word, word, bool) {
	for i, p := range w {
		if p.v != "" {
			continue
		}
		if j := strings.IndexByte(p.lit, sep); j >= 0 {
			k := append(slices.Clone(w[:i]), part{lit: p.lit[:j]})
			v := append(word{{lit: p.lit[j+1:]}}, w[i+1:]...)
			return merge(k), merge(v), true
		}
	}
	return nil, nil, false
}

// splitWord splits a word at every sep in its literal parts.
func splitWord(w word, sep byte) []word {
	var out []word
	for {
		k, v, ok := cutWord(w, sep)
		if !ok {
			return append(out, w)
		}
		out = append(out, k)
		w = v
	}
}

// commandBuilds turns a build command run in one of the directories dirs (repo-relative, most
// likely first) into builds. Parts the program leaves unknown are matched against the repository's
// Dockerfiles; what stays unknown is a warning.
func (f *finder) commandBuildsPiped(bc buildCommand, piped []word, dirs []word, src, file string, line int, group string) []Build {
	where := Build{File: file, Line: line}.Where()
	ctxWord := bc.context
	if ctxWord == nil {
		f.warn("%s: build command without a context argument; skipped", where)
		return nil
	}
	if s, ok := ctxWord.text(); ok && (strings.Contains(s, "://") || strings.HasPrefix(s, "git@")) {
		return nil // a remote context
	}
	stdin := false
	if s, _ := ctxWord.text(); s == "-" {
		stdin = true
		if bc.file == nil {
			// `gen apps/api/Dockerfile | docker build -`: the Dockerfile is the one the feeding
			// command names.
			for _, w := range piped {
				s, ok := w.text()
				if !ok {
					continue
				}
				for _, d := range append(slices.Clone(dirs), litWord(".")) {
					if bc.file != nil {
						break
					}
					base, _ := d.text()
					p := cleanRel(path.Join(base, s))
					if f.tree.isFile(p) && IsDockerfileName(path.Base(p)) {
						bc.file, bc.pipedFile = litWord(s), p
					} else if f.tree.isFile(path.Join(p, "Dockerfile")) {
						bc.file, bc.pipedFile = litWord(path.Join(s, "Dockerfile")), path.Join(p, "Dockerfile")
					}
				}
			}
			if bc.file == nil {
				f.warn("%s: the build context is a tar piped from another command, and no Dockerfile of the repository is named; skipped", where)
				return nil
			}
		}
	}
	if s, _ := bc.file.text(); s == "-" {
		f.warn("%s: the Dockerfile is read from stdin, which monoctx cannot follow; skipped", where)
		return nil
	}
	var out []Build
	for _, dir := range dirs {
		for _, b := range f.resolveCommand(bc, dir, stdin) {
			b.Source, b.File, b.Line, b.Group = src, file, line, group
			out = append(out, b)
		}
		if len(out) > 0 {
			return out
		}
	}
	if len(out) == 0 {
		df := "Dockerfile"
		if bc.file != nil {
			df = bc.file.String()
		}
		f.warn("%s: build of %s (context %s) names no Dockerfile of the repository; skipped (declare it in monoctx.yaml if it is one)", where, df, ctxWord)
	}
	return out
}

// resolveCommand resolves a build command's paths against a working directory.
func (f *finder) resolveCommand(bc buildCommand, dir word, stdin bool) []Build {
	join := func(w word) word {
		if s, ok := w.text(); ok && path.IsAbs(s) {
			return w // outside the repository unless it happens to be under root
		}
		if len(dir) == 0 {
			return w
		}
		if s, ok := dir.text(); ok && (s == "" || s == ".") {
			return w
		}
		return append(append(slices.Clone(dir), part{lit: "/"}), w...)
	}
	var dfWord word
	switch {
	case bc.pipedFile != "":
		dfWord = litWord(bc.pipedFile)
	case bc.file != nil:
		dfWord = join(bc.file)
	case stdin:
		return nil // the Dockerfile travels in the piped tar: found from the pipe by the caller
	default:
		dfWord = append(join(bc.context), part{lit: "/Dockerfile"})
	}
	dfWord = cleanWord(merge(dfWord))
	ctxWord := cleanWord(merge(join(bc.context)))
	var binds []map[string]string
	guess := false
	if s, ok := dfWord.text(); ok {
		if !f.tree.isFile(cleanRel(s)) {
			return nil
		}
		binds = []map[string]string{{}}
	} else {
		guess = true
		re, vars := dfWord.pattern()
		for _, df := range f.tree.dockerfiles {
			m := re.FindStringSubmatch(df)
			if m == nil {
				continue
			}
			b := map[string]string{}
			ok := true
			for i, v := range vars {
				if prev, seen := b[v]; seen && prev != m[i+1] {
					ok = false
				}
				b[v] = m[i+1]
			}
			if ok {
				binds = append(binds, b)
			}
		}
	}
	var out []Build
	for _, bind := range binds {
		var b Build
		var unresolved []string
		text := func(w word) (string, bool) {
			s, ok := w.bind(bind).text()
			if !ok {
				unresolved = append(unresolved, w.bind(bind).String())
			}
			return s, ok
		}
		df, _ := text(dfWord)
		b.Dockerfile = cleanRel(df)
		if stdin {
			b.Stdin = true
			b.Context = path.Dir(b.Dockerfile)
		} else if c, ok := text(ctxWord); ok {
			// A context that is not in the tree (a gitignored build output such as
			// dist/linux_amd64/release) is still the build's context: the graph decides what it
			// means.
			b.Context = cleanRel(c)
			if Escapes(b.Context) || path.IsAbs(b.Context) {
				continue
			}
		}
		if bc.target != nil {
			b.Target, _ = text(bc.target)
		}
		for _, kv := range bc.args {
			k, ok1 := text(kv[0])
			v, ok2 := text(kv[1])
			if ok1 && ok2 {
				if b.Args == nil {
					b.Args = map[string]string{}
				}
				b.Args[k] = v
			}
		}
		for _, t := range bc.tags {
			if s, ok := text(t); ok {
				b.Tags = append(b.Tags, s)
			}
		}
		for _, p := range bc.platforms {
			if s, ok := text(p); ok {
				b.Platforms = append(b.Platforms, s)
			}
		}
		for _, kv := range bc.contexts {
			k, ok1 := text(kv[0])
			v, ok2 := text(kv[1])
			if ok1 && ok2 {
				if b.Contexts == nil {
					b.Contexts = map[string]string{}
				}
				if IsLocalContext(v) {
					if dv, ok := text(join(litWord(v))); ok {
						v = cleanRel(dv)
					}
				}
				b.Contexts[k] = v
			}
		}
		b.Unresolved = unresolved
		b.Guess = guess
		if guess {
			for _, p := range dfWord {
				b.Specificity += len(p.lit)
			}
		}
		b.Name = DockerfileAppName(f.root, b.Dockerfile)
		if len(b.Tags) > 0 && ImageName(b.Tags[0]) != "" {
			b.Name = ImageName(b.Tags[0])
		} else if len(bc.tags) > 0 {
			// `-t $(REGISTRY)/daprd:$(TAG)`: the image's own name is often literal.
			if n := knownImageName(bc.tags[0].bind(bind)); n != "" {
				b.Name = n
			}
		}
		out = append(out, b)
	}
	return out
}

func cleanRel(p string) string {
	p = path.Clean(strings.TrimPrefix(p, "./"))
	if p == "" {
		return "."
	}
	return p
}

// cleanWord cleans the literal start of a word ("./docker/$X" → "docker/$X"), so that its pattern
// matches repo-relative paths.
func cleanWord(w word) word {
	if len(w) == 0 || w[0].v != "" {
		return w
	}
	out := slices.Clone(w)
	lit := out[0].lit
	for strings.HasPrefix(lit, "./") {
		lit = lit[2:]
	}
	for strings.Contains(lit, "//") {
		lit = strings.ReplaceAll(lit, "//", "/")
	}
	lit = strings.ReplaceAll(lit, "/./", "/")
	if len(out) == 1 {
		return litWord(cleanRel(lit))
	}
	out[0].lit = lit
	return out
}

// knownImageName is the image name of a tag whose registry or version is unknown, "" when the
// name itself is unknown.
func knownImageName(w word) string {
	last := -1
	for i, p := range w {
		if p.v == "" && strings.Contains(p.lit, "/") {
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	rest := append(word{{lit: w[last].lit[strings.LastIndexByte(w[last].lit, '/')+1:]}}, w[last+1:]...)
	var b strings.Builder
	for _, p := range rest {
		if p.v != "" {
			break
		}
		b.WriteString(p.lit)
		if strings.ContainsAny(p.lit, ":@") {
			break
		}
	}
	return ImageName(b.String())
}
