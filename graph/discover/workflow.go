package discover

import (
	"bytes"
	"context"
	"maps"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"gopkg.in/yaml.v3"

	"github.com/monoctx/monoctx/graph/cache"
	"github.com/monoctx/monoctx/graph/tree"
	"github.com/monoctx/monoctx/graph/yamlcache"
)

// workflows reads GitHub Actions workflows: docker/build-push-action steps (context, file,
// target, build-args, platforms, tags) and build commands in `run:` steps, each once per
// combination of a literal `strategy.matrix`.
func (f *finder) workflows(ctx context.Context) []Build {
	var out []Build
	docs := f.workflowDocs()
	for i, wf := range f.tree.workflows {
		if ctx.Err() != nil {
			return nil
		}
		f.read(wf)
		data, doc, err := docs[i].data, docs[i].doc, docs[i].err
		if err != nil {
			continue
		}
		if doc == nil {
			f.broken(yamlSyntaxError(wf, data, docs[i].yamlErr))
			continue
		}
		if len(doc.Content) == 0 {
			continue
		}
		top := doc.Content[0]
		if runs := mapValue(top, "runs"); runs != nil && mapString(runs, "using") == "composite" {
			// A composite action (.github/actions/NAME/action.yml): its steps run in the job
			// that uses it, from the workspace (temporalio/temporal bakes its images in one).
			if steps := mapValue(runs, "steps"); steps != nil && steps.Kind == yaml.SequenceNode {
				out = append(out, f.jobSteps(wf, wf+"#composite", steps, map[string]string{}, []map[string]string{{}}, "")...)
			}
			continue
		}
		wfEnv := literalMap(mapValue(top, "env"))
		wfDir := mapString(mapValue(mapValue(top, "defaults"), "run"), "working-directory")
		jobs := mapValue(top, "jobs")
		if jobs == nil || jobs.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(jobs.Content); i += 2 {
			jobID, job := jobs.Content[i].Value, jobs.Content[i+1]
			steps := mapValue(job, "steps")
			if steps == nil || steps.Kind != yaml.SequenceNode {
				continue
			}
			jobDir := mapString(mapValue(mapValue(job, "defaults"), "run"), "working-directory")
			if jobDir == "" {
				jobDir = wfDir
			}
			env := maps.Clone(wfEnv)
			maps.Copy(env, literalMap(mapValue(job, "env")))
			combos := matrixCombos(mapValue(mapValue(job, "strategy"), "matrix"))
			out = append(out, f.jobSteps(wf, wf+"#"+jobID, steps, env, combos, jobDir)...)
		}
	}
	return out
}

// jobSteps reads the builds of a job's steps, once per matrix combination.
func (f *finder) jobSteps(wf, group string, steps *yaml.Node, env map[string]string, combos []map[string]string, jobDir string) []Build {
	var out []Build
	cos := jobCheckouts(steps, env)
	for _, step := range steps.Content {
		for _, combo := range combos {
			out = append(out, f.workflowStep(wf, group, step, combo, env, jobDir, cos)...)
		}
		if loaded := f.githubEnvFiles(step, jobDir); len(loaded) > 0 {
			env = maps.Clone(env)
			maps.Copy(env, loaded) // the job's later steps see them as env.NAME
		}
	}
	return out
}

// githubEnvFiles reads the dotenv files of the repository a run step appends to $GITHUB_ENV
// (`cat .env >> $GITHUB_ENV`, or a loop over its lines), as the job's later steps see them:
// opentelemetry-demo passes its image versions from .env to build-push-action's build-args
// this way. A file so read is a definition file: a change to it is a change of the builds.
func (f *finder) githubEnvFiles(step *yaml.Node, jobDir string) map[string]string {
	run := mapValue(step, "run")
	if run == nil || !strings.Contains(run.Value, "GITHUB_ENV") {
		return nil
	}
	dir := ghExpand(mapString(step, "working-directory"), nil, nil) // ${{ github.workspace }}
	if dir == "" {
		dir = jobDir
	}
	var out map[string]string
	for _, tok := range strings.FieldsFunc(run.Value, func(r rune) bool {
		return strings.ContainsRune(" \t\n|;&<>()'\"`", r)
	}) {
		base := path.Base(tok)
		if strings.HasPrefix(tok, "$") || strings.HasPrefix(tok, "-") ||
			!(base == ".env" || strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, ".env")) {
			continue
		}
		p := cleanRel(path.Join(dir, tok))
		if Escapes(p) || !f.tree.isFile(p) {
			continue
		}
		f.read(p)
		data, err := f.readFile(p)
		if err != nil {
			continue
		}
		env, err := dotenv.Parse(bytes.NewReader(data))
		if err != nil {
			continue // not a dotenv file: its values stay unknown
		}
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, env)
	}
	return out
}

// workflowDoc is one workflow file, read and parsed as YAML nodes.
type workflowDoc struct {
	data    []byte
	doc     *yaml.Node // nil when the file is no YAML (yamlErr says why)
	err     error      // reading it
	yamlErr error
}

// parseWorkflows reads and parses the workflow files while discovery reads the other sources (a
// large repository's workflows are a fifth of its discovery, which is otherwise sequential); the
// function returned waits for them, in the order of files.
func parseWorkflows(ctx context.Context, v tree.View, c *cache.Cache, files []string) func() []workflowDoc {
	docs := make([]workflowDoc, len(files))
	if len(files) == 0 {
		return func() []workflowDoc { return docs }
	}
	var wg sync.WaitGroup
	next := make(chan int, len(files))
	for i := range files {
		next <- i
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := &docs[i]
				if d.err = ctx.Err(); d.err != nil {
					continue
				}
				if d.data, d.err = v.ReadFile(files[i]); d.err != nil {
					continue
				}
				d.doc, d.yamlErr = yamlcache.Document(c, d.data)
			}
		}()
	}
	return func() []workflowDoc {
		wg.Wait()
		return docs
	}
}

// checkout is an actions/checkout step of a job that puts a repository in a subdirectory of the
// workspace (`path: release`): the job's paths under it are paths of that repository.
type checkout struct {
	path string // workspace-relative, clean
	// ours is set when the repository is this one for sure (no `repository:`, or
	// github.repository); otherwise it may be another, and its paths count as this repository's
	// only where they name a Dockerfile of it.
	ours bool
}

// jobCheckouts lists a job's checkouts into a subdirectory, longest path first.
func jobCheckouts(steps *yaml.Node, env map[string]string) []checkout {
	var out []checkout
	for _, step := range steps.Content {
		if !strings.HasPrefix(mapString(step, "uses"), "actions/checkout@") {
			continue
		}
		with := mapValue(step, "with")
		p := ghExpand(mapString(with, "path"), nil, env)
		if p == "" || strings.Contains(p, "${{") {
			continue
		}
		p = cleanRel(p)
		if p == "." || Escapes(p) || path.IsAbs(p) {
			continue
		}
		repo := strings.TrimSpace(mapString(with, "repository"))
		ours := repo == "" || ghExprRE.MatchString(repo) && strings.TrimSpace(ghExprRE.FindStringSubmatch(repo)[1]) == "github.repository"
		out = append(out, checkout{path: p, ours: ours})
	}
	slices.SortStableFunc(out, func(a, b checkout) int { return len(b.path) - len(a.path) })
	return out
}

// underCheckout maps a workspace path under a checkout's directory back to the repository's root
// ("release/cmd/x/Dockerfile" → "cmd/x/Dockerfile"); ok is false when w is under none.
func underCheckout(w word, cos []checkout) (word, checkout, bool) {
	w = cleanWord(w)
	if len(w) == 0 || w[0].v != "" {
		return w, checkout{}, false
	}
	for _, co := range cos {
		lit := w[0].lit
		var rest string
		switch {
		case lit == co.path && len(w) == 1:
			rest = "."
		case strings.HasPrefix(lit, co.path+"/"):
			rest = lit[len(co.path)+1:]
		default:
			continue
		}
		out := append(word{{lit: rest}}, w[1:]...)
		if rest == "" {
			out = w[1:]
		}
		return merge(out), co, true
	}
	return w, checkout{}, false
}

// inCheckout resolves a build whose paths may be under a checkout of the job: mapped back to the
// repository's root when the checkout is this repository (or, when that is not certain, where
// the mapped paths name a Dockerfile of it), else as written.
func (f *finder) inCheckout(bc buildCommand, dir word, cos []checkout, src, wf string, line int, group string, piped []word) []Build {
	mapped, d := bc, dir
	var hit []checkout
	for _, w := range []*word{&mapped.context, &mapped.file, &d} {
		if *w == nil {
			continue
		}
		if m, co, ok := underCheckout(*w, cos); ok {
			*w = m
			hit = append(hit, co)
		}
	}
	if len(hit) == 0 {
		return f.commandBuildsPiped(bc, piped, []word{dir}, src, wf, line, group)
	}
	ours := true
	for _, co := range hit {
		ours = ours && co.ours
	}
	if ours {
		return f.commandBuildsPiped(mapped, piped, []word{d}, src, wf, line, group)
	}
	saved := len(f.res.Warnings)
	if out := f.commandBuildsPiped(mapped, piped, []word{d}, src, wf, line, group); len(out) > 0 {
		return out
	}
	f.res.Warnings = f.res.Warnings[:saved]
	return f.commandBuildsPiped(bc, piped, []word{dir}, src, wf, line, group)
}

func (f *finder) workflowStep(wf, group string, step *yaml.Node, combo, env map[string]string, jobDir string, cos []checkout) []Build {
	uses := mapString(step, "uses")
	run := mapValue(step, "run")
	if !strings.HasPrefix(uses, "docker/build-push-action@") && (run == nil || !mentionsBuild([]byte(run.Value))) {
		return nil // most steps: their environment is not made
	}
	with := mapValue(step, "with")
	stepEnv := maps.Clone(env)
	maps.Copy(stepEnv, literalMap(mapValue(step, "env")))
	sub := func(s string) string { return ghExpand(s, combo, stepEnv) }
	switch {
	case strings.HasPrefix(uses, "docker/build-push-action@"):
		bc := buildCommand{context: ghWord(sub(mapString(with, "context")))}
		if len(bc.context) == 0 {
			bc.context = litWord(".") // the action's default: the repository at the ref
		}
		if v := mapString(with, "file"); v != "" {
			bc.file = ghWord(sub(v))
		}
		if v := mapString(with, "target"); v != "" {
			bc.target = ghWord(sub(v))
		}
		for _, l := range listLines(sub(mapString(with, "build-args"))) {
			if k, v, ok := cutWord(ghWord(l), '='); ok {
				bc.args = append(bc.args, [2]word{k, v})
			}
		}
		for _, l := range listLines(sub(mapString(with, "build-contexts"))) {
			if k, v, ok := cutWord(ghWord(l), '='); ok {
				bc.contexts = append(bc.contexts, [2]word{k, v})
			}
		}
		for _, l := range listItems(sub(mapString(with, "tags"))) {
			bc.tags = append(bc.tags, ghWord(l))
		}
		for _, l := range listItems(sub(mapString(with, "platforms"))) {
			bc.platforms = append(bc.platforms, ghWord(l))
		}
		return f.inCheckout(bc, litWord("."), cos, SourceWorkflow, wf, step.Line, group, nil)
	case run != nil:
		script := run.Value
		dir := sub(mapString(step, "working-directory"))
		if dir == "" {
			dir = jobDir
		}
		if dir == "" {
			dir = "."
		}
		vals := map[string]word{}
		for k, v := range stepEnv {
			vals[k] = ghWord(sub(v))
		}
		line := run.Line
		if run.Style == yaml.LiteralStyle || run.Style == yaml.FoldedStyle {
			line++ // the script starts on the line after `run: |`
		}
		cmds, err := shellCommands(ghShell(sub(script)), wf, &shellEnv{vals: vals}, line-1)
		if err != nil {
			return nil
		}
		var out []Build
		for _, c := range cmds {
			d := litWord(dir)
			if len(c.dir) > 0 {
				d = merge(append(append(word{}, d...), append(word{{lit: "/"}}, c.dir...)...))
			}
			bc, ok := parseBuildCommand(c.args)
			if !ok {
				f.noteBake(c.args, []word{d}, wf)
				continue
			}
			out = append(out, f.inCheckout(bc, d, cos, SourceWorkflow, wf, c.line, group, c.piped)...)
		}
		return out
	}
	return nil
}

var ghExprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// ghExpand replaces the expressions whose value is known: matrix values and literal env values.
// The others stay as written, for ghWord and ghShell to mark unknown.
func ghExpand(s string, combo, env map[string]string) string {
	if !strings.Contains(s, "${{") {
		return s // most values: the expression scan is a regexp's
	}
	return ghExprRE.ReplaceAllStringFunc(s, func(m string) string {
		expr := ghExprRE.FindStringSubmatch(m)[1]
		if k, ok := strings.CutPrefix(expr, "matrix."); ok {
			if v, ok := combo[k]; ok {
				return v
			}
			if len(combo) > 0 {
				return "" // a key this combination lacks is empty, as in GitHub's expressions
			}
		}
		if k, ok := strings.CutPrefix(expr, "env."); ok {
			if v, ok := env[k]; ok && !strings.Contains(v, "${{") {
				return v
			}
		}
		if expr == "github.workspace" {
			return "." // the workspace, where actions/checkout puts the repository by default
		}
		return m
	})
}

// ghWord turns an action input into a word, its remaining expressions unknown parts.
func ghWord(s string) word {
	s = strings.TrimSpace(s)
	var w word
	last := 0
	for _, m := range ghExprRE.FindAllStringSubmatchIndex(s, -1) {
		w = append(w, part{lit: s[last:m[0]]}, part{v: s[m[2]:m[3]]})
		last = m[1]
	}
	w = append(w, part{lit: s[last:]})
	out := word{}
	for _, p := range merge(w) {
		if p.v != "" || p.lit != "" {
			out = append(out, p)
		}
	}
	return out
}

// ghShell makes a run script's remaining expressions unset shell variables.
func ghShell(s string) string {
	return ghExprRE.ReplaceAllStringFunc(s, func(m string) string {
		return unknownMake("GH_" + ghExprRE.FindStringSubmatch(m)[1])
	})
}

// matrixCombos expands a literal strategy.matrix into its combinations (include entries added,
// exclude entries removed); one empty combination when there is none.
func matrixCombos(m *yaml.Node) []map[string]string {
	combos := []map[string]string{{}}
	if m == nil || m.Kind != yaml.MappingNode {
		return combos
	}
	var include, exclude *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		switch k {
		case "include":
			include = v
			continue
		case "exclude":
			exclude = v
			continue
		}
		if v.Kind != yaml.SequenceNode {
			continue // an expression (fromJSON(…)): unknown values stay unknown
		}
		var next []map[string]string
		for _, c := range combos {
			for _, item := range v.Content {
				n := maps.Clone(c)
				switch item.Kind {
				case yaml.ScalarNode:
					n[k] = item.Value
				case yaml.MappingNode:
					flattenInto(n, k+".", item) // an object value: matrix.<axis>.<key>
				default:
					continue
				}
				next = append(next, n)
			}
		}
		if len(next) > 0 && len(next) <= 256 {
			combos = next
		}
	}
	if exclude != nil && exclude.Kind == yaml.SequenceNode {
		for _, e := range exclude.Content {
			ex := matrixEntry(e)
			combos = slices.DeleteFunc(combos, func(c map[string]string) bool {
				for k, v := range ex {
					if c[k] != v {
						return false
					}
				}
				return len(ex) > 0
			})
		}
	}
	if include != nil && include.Kind == yaml.SequenceNode {
		for _, in := range include.Content {
			inc := matrixEntry(in)
			matched := false
			for _, c := range combos {
				if len(c) == 0 {
					continue
				}
				ok := true
				for k, v := range inc {
					if cv, has := c[k]; has && cv != v {
						ok = false
					}
				}
				if ok {
					for k, v := range inc {
						if _, has := c[k]; !has {
							c[k] = v
						}
					}
					matched = true
				}
			}
			if !matched {
				if len(combos) == 1 && len(combos[0]) == 0 {
					combos = nil
				}
				combos = append(combos, inc)
			}
		}
	}
	return combos
}

// matrixEntry is an include or exclude entry's values by the names an expression reads them
// by: an object's keys under its own (`matrix.image.file`).
func matrixEntry(n *yaml.Node) map[string]string {
	out := map[string]string{}
	if n != nil && n.Kind == yaml.MappingNode {
		flattenInto(out, "", n)
	}
	return out
}

// flattenInto sets out[prefix+key] for each scalar of mapping n, nested mappings by their
// dotted path, as GitHub's expressions address an object's properties.
func flattenInto(out map[string]string, prefix string, n *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i].Value, n.Content[i+1]; v.Kind {
		case yaml.ScalarNode:
			out[prefix+k] = v.Value
		case yaml.MappingNode:
			flattenInto(out, prefix+k+".", v)
		}
	}
}

func mapString(n *yaml.Node, key string) string {
	v := mapValue(n, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

func literalMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
			out[n.Content[i].Value] = v.Value
		}
	}
	return out
}

// listLines splits a multi-line action input into its non-empty lines.
func listLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// listItems splits an action list input at newlines and commas, as docker's actions do.
func listItems(s string) []string {
	var out []string
	for _, l := range listLines(s) {
		for _, x := range strings.Split(l, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}
