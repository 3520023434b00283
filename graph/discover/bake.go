package discover

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/buildx/bake/hclparser"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/monoctx/monoctx/graph/yamlcache"
	"github.com/monoctx/monoctx/internal/textdist"
)

// bakeFiles are the bake files `docker buildx bake` reads by default, in its order: later files
// override the targets of earlier ones field by field.
var bakeFiles = []string{"docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl"}

// bakeConfig holds what monoctx needs of a bake file. Other attributes of a target land in Remain,
// undecoded, so a bake file using options monoctx does not read still loads.
type bakeConfig struct {
	Groups  []*bakeGroup  `hcl:"group,block"`
	Targets []*bakeTarget `hcl:"target,block"`
}

type bakeGroup struct {
	Name    string   `hcl:"name,label" cty:"name"`
	Targets []string `hcl:"targets,optional" cty:"targets"`
	Remain  hcl.Body `hcl:",remain"`
}

type bakeTarget struct {
	Name             string             `hcl:"name,label" cty:"name"`
	Inherits         []string           `hcl:"inherits,optional" cty:"inherits"`
	Context          *string            `hcl:"context,optional" cty:"context"`
	Contexts         map[string]string  `hcl:"contexts,optional" cty:"contexts"`
	Dockerfile       *string            `hcl:"dockerfile,optional" cty:"dockerfile"`
	DockerfileInline *string            `hcl:"dockerfile-inline,optional" cty:"dockerfile-inline"`
	Args             map[string]*string `hcl:"args,optional" cty:"args"`
	Tags             []string           `hcl:"tags,optional" cty:"tags"`
	Target           *string            `hcl:"target,optional" cty:"target"`
	Platforms        []string           `hcl:"platforms,optional" cty:"platforms"`
	Remain           hcl.Body           `hcl:",remain"`
}

// Merge applies a later definition of the same target over t, the way bake merges a target
// defined in several files: set fields replace, args and contexts merge key by key.
func (t *bakeTarget) Merge(t2 *bakeTarget) {
	if t2.Context != nil {
		t.Context = t2.Context
	}
	if t2.Dockerfile != nil {
		t.Dockerfile = t2.Dockerfile
	}
	if t2.DockerfileInline != nil {
		t.DockerfileInline = t2.DockerfileInline
	}
	for k, v := range t2.Args {
		if v == nil {
			continue
		}
		if t.Args == nil {
			t.Args = map[string]*string{}
		}
		t.Args[k] = v
	}
	for k, v := range t2.Contexts {
		if t.Contexts == nil {
			t.Contexts = map[string]string{}
		}
		t.Contexts[k] = v
	}
	if t2.Tags != nil {
		t.Tags = t2.Tags
	}
	if t2.Target != nil {
		t.Target = t2.Target
	}
	if t2.Platforms != nil {
		t.Platforms = t2.Platforms
	}
	t.Inherits = append(t.Inherits, t2.Inherits...)
}

// GetEvalContexts expands a target's matrix: one evaluation context per combination of values,
// with the matrix keys taken in sorted order so the targets come out in a stable order.
func (t *bakeTarget) GetEvalContexts(ectx *hcl.EvalContext, block *hcl.Block, loadDeps func(hcl.Expression) hcl.Diagnostics) ([]*hcl.EvalContext, error) {
	content, _, diags := block.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "matrix"}}})
	if diags.HasErrors() {
		return nil, diags
	}
	attr, ok := content.Attributes["matrix"]
	if !ok {
		return []*hcl.EvalContext{ectx}, nil
	}
	if diags := loadDeps(attr.Expr); diags.HasErrors() {
		return nil, diags
	}
	value, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return nil, diags
	}
	if !value.Type().IsMapType() && !value.Type().IsObjectType() {
		return nil, fmt.Errorf("target %q: matrix must be a map", block.Labels[0])
	}
	axes := value.AsValueMap()
	keys := make([]string, 0, len(axes))
	for k := range axes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	combos := []map[string]cty.Value{{}}
	for _, k := range keys {
		if !axes[k].CanIterateElements() {
			return nil, fmt.Errorf("target %q: matrix values must be lists", block.Labels[0])
		}
		var next []map[string]cty.Value
		for _, c := range combos {
			for _, v := range axes[k].AsValueSlice() {
				m := make(map[string]cty.Value, len(c)+1)
				for ck, cv := range c {
					m[ck] = cv
				}
				m[k] = v
				next = append(next, m)
			}
		}
		combos = next
	}
	out := make([]*hcl.EvalContext, 0, len(combos))
	for _, c := range combos {
		child := ectx.NewChild()
		child.Variables = c
		out = append(out, child)
	}
	return out, nil
}

// GetName names one matrix combination with the target's name expression.
func (t *bakeTarget) GetName(ectx *hcl.EvalContext, block *hcl.Block, loadDeps func(hcl.Expression) hcl.Diagnostics) (string, error) {
	content, _, diags := block.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "name"}, {Name: "matrix"}}})
	if diags.HasErrors() {
		return "", diags
	}
	attr, ok := content.Attributes["name"]
	if !ok {
		return block.Labels[0], nil
	}
	if _, ok := content.Attributes["matrix"]; !ok {
		return "", fmt.Errorf("target %q: name requires matrix", block.Labels[0])
	}
	if diags := loadDeps(attr.Expr); diags.HasErrors() {
		return "", diags
	}
	value, diags := attr.Expr.Value(ectx)
	if diags.HasErrors() {
		return "", diags
	}
	s, err := convert.Convert(value, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return "", fmt.Errorf("target %q: name is not a string", block.Labels[0])
	}
	return s.AsString(), nil
}

// loadBake reads the bake files at the root with buildx's own HCL parser (variables, functions,
// matrices, and the merge of override files), resolves inherits, and returns one app per target
// that builds a Dockerfile of this repository. Like bake (and like compose files here), a variable
// set in the environment overrides its default, unless BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP is true.
//
// Besides the default files at the root, every set of files a docker/bake-action step of a
// workflow names (`files:`, relative to its `workdir:`) is read the same way.
func (f *finder) bake(ctx context.Context) []Build {
	sets := []bakeSet{{dir: ".", files: bakeFiles}}
	seen := map[string]bool{sets[0].key(): true}
	for _, set := range f.bakeActionFiles() {
		if k := set.key(); !seen[k] {
			seen[k] = true
			sets = append(sets, set)
		}
	}
	f.bakeLoaded = seen
	return f.loadBakeSets(sets)
}

// loadBakeSets loads each set of bake files, a broken one reported.
func (f *finder) loadBakeSets(sets []bakeSet) []Build {
	var out []Build
	for _, set := range sets {
		builds, err := f.loadBake(set)
		if err != nil {
			f.broken(err)
			continue
		}
		out = append(out, builds...)
	}
	return out
}

// noteBake records the bake files a `docker buildx bake` command reads (its -f files, else the
// default ones), from the first of dirs that holds one: temporalio/temporal bakes
// docker/docker-bake.hcl from a composite action. runSources reads them after the other
// sources, as the bake source's.
func (f *finder) noteBake(args []word, dirs []word, from string) {
	files, ok := parseBakeCommand(args)
	if !ok {
		return
	}
	for _, dw := range dirs {
		dir, ok := dw.text()
		if !ok {
			continue
		}
		dir = cleanRel(dir)
		if Escapes(dir) || path.IsAbs(dir) {
			continue
		}
		var set []string
		if len(files) == 0 {
			for _, n := range bakeFiles {
				set = append(set, cleanRel(path.Join(dir, n)))
			}
		}
		for _, w := range files {
			// A compose file baked (`docker buildx bake -f compose.yaml`, opentelemetry-demo's
			// Makefile) is the compose source's: bake builds its services as compose does.
			if n, ok := w.text(); ok && !path.IsAbs(n) && (strings.HasSuffix(n, ".hcl") || strings.HasSuffix(n, ".json")) {
				if p := cleanRel(path.Join(dir, n)); !Escapes(p) {
					set = append(set, p)
				}
			}
		}
		for _, p := range set {
			if f.tree.isFile(p) {
				f.read(from)
				f.bakeSets = append(f.bakeSets, bakeSet{dir: dir, files: set})
				return
			}
		}
	}
}

// bakeSet is a list of bake files read together, and the directory bake runs in.
type bakeSet struct {
	dir   string
	files []string
}

// bakeActionFiles lists the bake file sets docker/bake-action steps name.
func (f *finder) bakeActionFiles() []bakeSet {
	var out []bakeSet
	for _, wf := range f.tree.workflows {
		data, err := f.readFile(wf)
		if err != nil || !strings.Contains(string(data), "docker/bake-action") {
			continue
		}
		doc, err := yamlcache.Document(f.opts.Cache, data)
		if err != nil || len(doc.Content) == 0 {
			continue // the workflow source reports it
		}
		jobs := mapValue(doc.Content[0], "jobs")
		if jobs == nil {
			continue
		}
		for i := 1; i < len(jobs.Content); i += 2 {
			steps := mapValue(jobs.Content[i], "steps")
			if steps == nil {
				continue
			}
			for _, st := range steps.Content {
				if !strings.HasPrefix(mapString(st, "uses"), "docker/bake-action@") {
					continue
				}
				with := mapValue(st, "with")
				dir := mapString(with, "workdir")
				if dir == "" {
					dir = "."
				}
				var set []string
				for _, file := range listItems(mapString(with, "files")) {
					p := cleanRel(path.Join(dir, file))
					if strings.Contains(p, "${{") || Escapes(p) {
						continue
					}
					set = append(set, p)
				}
				if len(set) > 0 {
					f.read(wf)
					out = append(out, bakeSet{dir: cleanRel(dir), files: set})
				}
			}
		}
	}
	return out
}

func (f *finder) loadBake(set bakeSet) ([]Build, error) {
	root := f.root
	var files []*hcl.File
	var names []string
	p := hclparse.NewParser()
	for _, n := range set.files {
		if !f.tree.isFile(n) {
			continue
		}
		f.read(n)
		data, err := f.readFile(n)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		var f *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(n, ".json") {
			f, diags = p.ParseJSON(data, n)
		} else {
			f, diags = p.ParseHCL(data, n)
		}
		if diags.HasErrors() {
			return nil, bakeError(n, diags)
		}
		files = append(files, f)
		names = append(names, n)
	}
	if len(files) == 0 {
		return nil, nil
	}
	bakeLines := map[string]int{}
	if body, ok := files[0].Body.(*hclsyntax.Body); ok {
		for _, b := range body.Blocks {
			if b.Type == "target" && len(b.Labels) > 0 {
				bakeLines[b.Labels[0]] = b.DefRange().Start.Line
			}
		}
	}

	lookup := f.lookupEnv
	if v, _ := f.lookupEnv("BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP"); isTrue(v) {
		lookup = func(string) (string, bool) { return "", false }
	}
	var cfg bakeConfig
	_, diags := hclparser.Parse(hclparser.MergeFiles(files), hclparser.Opt{
		LookupVar: lookup,
		// What `docker buildx bake` run at the root would set.
		Vars: map[string]string{"BAKE_CMD_CONTEXT": "cwd://", "BAKE_LOCAL_PLATFORM": "linux/" + runtime.GOARCH},
	}, &cfg)
	if diags.HasErrors() {
		return nil, bakeError(names[0], diags)
	}

	byName := map[string]*bakeTarget{}
	inherited, grouped := map[string]bool{}, map[string]bool{}
	warned := map[string]bool{}
	for _, t := range cfg.Targets {
		f.checkBakeAttributes(t, warned)
		byName[t.Name] = t
		for _, in := range t.Inherits {
			inherited[in] = true
		}
	}
	for _, g := range cfg.Groups {
		for _, n := range g.Targets {
			grouped[n] = true
		}
	}
	targetNames := make([]string, 0, len(byName))
	for n := range byName {
		targetNames = append(targetNames, n)
	}
	sort.Strings(targetNames)

	var apps []Build
	for _, n := range targetNames {
		t, err := resolveBakeTarget(n, byName, map[string]bool{})
		if err != nil {
			return nil, &Error{File: names[0], Msg: err.Error()}
		}
		if inherited[n] && !grouped[n] {
			// Settings other targets inherit (`_common`, `docker-metadata-action`): no group
			// builds them, so they are not apps of their own.
			continue
		}
		c, df := ".", "Dockerfile"
		if t.Context != nil {
			c = *t.Context
		}
		if strings.Contains(c, "://") && !strings.HasPrefix(c, "cwd://") {
			continue // a remote context is not in this repository
		}
		c = path.Join(set.dir, strings.TrimPrefix(c, "cwd://"))
		if t.Dockerfile != nil && *t.Dockerfile != "" {
			df = *t.Dockerfile
		}
		if rel, ok := strings.CutPrefix(df, "cwd://"); ok {
			df = path.Join(set.dir, rel) // relative to the directory bake runs in, not to the context
		} else if !path.IsAbs(df) {
			df = path.Join(c, df)
		}
		if path.IsAbs(c) || path.IsAbs(df) || Escapes(c) || Escapes(df) {
			return nil, &Error{File: names[0], Msg: fmt.Sprintf("target %q: context or dockerfile leaves the repository", n)}
		}
		if t.DockerfileInline != nil {
			f.warn("%s: target %q has an inline Dockerfile, which monoctx does not analyse; skipped", names[0], n)
			continue
		}
		if !f.tree.isFile(joinRel(df)) {
			f.warn("%s: target %q: Dockerfile %s does not exist; skipped", names[0], n, joinRel(df))
			continue
		}
		contexts, err := NamedContexts(root, t.Contexts, false)
		if err != nil {
			return nil, &Error{File: names[0], Msg: fmt.Sprintf("target %q: contexts: %v", n, err)}
		}
		app := Build{Name: n, Source: SourceBake, File: names[0], Line: bakeLines[n], Context: joinRel(c), Dockerfile: joinRel(df), Tags: t.Tags, Contexts: contexts}
		if t.Target != nil {
			app.Target = *t.Target
		}
		app.Platforms = t.Platforms
		for k, v := range t.Args {
			if v != nil {
				if app.Args == nil {
					app.Args = map[string]string{}
				}
				app.Args[k] = *v
			}
		}
		apps = append(apps, app)
	}
	return apps, nil
}

// bakeTargetAttributes are the attributes of a bake target, as buildx (v0.38, bake.Target) decodes
// them, plus the name and matrix its parser evaluates. buildx rejects any other.
var bakeTargetAttributes = []string{"annotations", "args", "attest", "cache-from", "cache-to", "call", "context",
	"contexts", "description", "dockerfile", "dockerfile-inline", "entitlements", "extra-hosts", "inherits", "labels",
	"matrix", "name", "network", "no-cache", "no-cache-filter", "output", "platforms", "policy", "pull", "resources",
	"secret", "shm-size", "ssh", "tags", "target", "ulimits"}

// checkBakeAttributes warns of each attribute of a target that buildx does not know: a typo
// (dockerfil) whose setting monoctx, like buildx, would otherwise miss. warned holds the positions
// already named (a matrix makes several targets of one block).
func (f *finder) checkBakeAttributes(t *bakeTarget, warned map[string]bool) {
	if t.Remain == nil {
		return
	}
	attrs, _ := t.Remain.JustAttributes()
	var unknown []*hcl.Attribute
	for n, a := range attrs {
		if !slices.Contains(bakeTargetAttributes, n) {
			unknown = append(unknown, a)
		}
	}
	sort.Slice(unknown, func(i, j int) bool {
		a, b := unknown[i].NameRange, unknown[j].NameRange
		return a.Filename < b.Filename || a.Filename == b.Filename && a.Start.Byte < b.Start.Byte
	})
	for _, a := range unknown {
		r := a.NameRange
		if key := fmt.Sprintf("%s:%d:%s", r.Filename, r.Start.Byte, a.Name); !warned[key] {
			warned[key] = true
			hint := ""
			for _, c := range bakeTargetAttributes {
				if textdist.Levenshtein(strings.ToLower(a.Name), c) <= 2 {
					hint = fmt.Sprintf("; did you mean %q?", c)
					break
				}
			}
			f.warn("%s:%d: target %q: unknown attribute %q, which buildx rejects%s", r.Filename, r.Start.Line, t.Name, a.Name, hint)
		}
	}
}

// resolveBakeTarget merges a target over the targets it inherits, in order, as bake does.
func resolveBakeTarget(name string, byName map[string]*bakeTarget, visiting map[string]bool) (*bakeTarget, error) {
	t, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("target %q is inherited but not defined", name)
	}
	if visiting[name] {
		return nil, fmt.Errorf("target %q inherits itself", name)
	}
	visiting[name] = true
	defer delete(visiting, name)
	out := &bakeTarget{Name: name}
	for _, in := range t.Inherits {
		parent, err := resolveBakeTarget(in, byName, visiting)
		if err != nil {
			return nil, err
		}
		out.Merge(parent)
	}
	own := *t
	own.Inherits = nil
	out.Merge(&own)
	out.Inherits = nil
	return out, nil
}

// bakeError turns HCL diagnostics into a ParseError at the first error's file and line.
func bakeError(file string, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		e := &Error{File: file, Msg: msg, Err: diags}
		if d.Subject != nil {
			if d.Subject.Filename != "" {
				e.File = d.Subject.Filename
			}
			e.Line = d.Subject.Start.Line
		}
		return e
	}
	return &Error{File: file, Msg: diags.Error(), Err: diags}
}

func isTrue(v string) bool {
	b, _ := strconv.ParseBool(v)
	return b
}

func (s bakeSet) key() string { return s.dir + "\n" + strings.Join(s.files, "\n") }
