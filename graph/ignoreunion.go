package graph

import (
	"bytes"
	"context"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// IgnoreKeep returns the context-relative paths that one generated ignore file of a Dockerfile must
// allow so that no known build of it fails: the union, over the apps built from it (each with its
// own target, args and context), of
//
//   - the app's selection;
//   - when the app's target is unknown (a Dockerfile found by the tree walk, which a script may
//     build with --target), the selection of every stage that can be a target;
//   - the selection with every OS/arch-like ARG (ARCH, OS, GOARCH, …, which callers set per
//     platform as TARGETARCH is) read as every value.
//
// A build whose sources cannot be read keeps the whole context: a looser file, never a failing
// build. The apps must share one Dockerfile.
func (g *Graph) IgnoreKeep(ctx context.Context, apps []*App) ([]string, error) {
	var keep []string
	for _, a := range apps {
		sel, err := a.selection(g.fs, g.Root)
		if err != nil {
			return nil, err
		}
		keep = append(keep, sel.Keep...)
		more, err := g.variantKeep(ctx, a)
		if err != nil {
			return nil, err
		}
		keep = append(keep, more...)
	}
	sort.Strings(keep)
	return dedupSorted(keep), nil
}

// variantKeep is the Keep of the app's other possible builds: other targets, platform ARGs as
// wildcards.
func (g *Graph) variantKeep(ctx context.Context, a *App) ([]string, error) {
	data, err := g.fs.ReadFile(filepath.Join(g.Root, filepath.FromSlash(a.Dockerfile)))
	if err != nil {
		return nil, nil // the app's own selection already said what is missing
	}
	stages, argNames := dockerfileStagesAndArgs(data)
	targets := []string{a.Target}
	if a.Target == "" && a.Origin == "dockerfile" {
		targets = append(targets, stages...)
	}
	args := map[string]string{}
	for k, v := range a.Args {
		args[k] = v
	}
	for _, n := range argNames {
		if platformLikeArg(n) {
			args[n] = unknownValue
		}
	}
	platform := false
	for _, n := range argNames {
		platform = platform || platformLikeArg(n)
	}
	var out []string
	for i, t := range targets {
		if i == 0 && !platform {
			continue // the app's own build, already selected
		}
		b := *a
		b.Target, b.Args = t, args
		// A copy that keeps the app's context: nothing is inferred again.
		b.Origin, b.contextUnknown = "variant:"+a.Origin, false
		b.setInputs(nil)
		b.imageDeps, b.Whole, b.Narrowed, b.goInfo, b.jsInfo, b.warnings, b.df = nil, nil, nil, nil, nil, nil, nil
		b.Packages = nil
		if err := computeInputs(ctx, g.Root, g.Config, &b, g.lang, func(string) {}); err != nil {
			out = append(out, ".")
			continue
		}
		if g.lang != nil {
			if err := g.lang.narrow(ctx, &b); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				out = append(out, ".")
				continue
			}
		}
		out = append(out, keepOf(&b)...)
	}
	return out, nil
}

// keepOf is what Selection keeps, without requiring that the sources exist: a source absent now
// may be built before the build that needs it.
func keepOf(a *App) []string {
	var out []string
	ins := a.Inputs()
	for i := range ins {
		in := &ins[i]
		if !in.Context && in.Rule.Kind != "config-dep" && in.Match != "glob" {
			continue
		}
		p := in.Path
		if in.Match == "glob" || hasGlob(p) {
			p = literalPrefix(p)
		}
		if rel, ok := relTo(a.Context, p); ok {
			out = append(out, rel)
		}
	}
	return out
}

// dockerfileStagesAndArgs lists the stage names a build can target and every ARG the Dockerfile
// declares. An unreadable Dockerfile has neither.
func dockerfileStagesAndArgs(data []byte) (stages, args []string) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, nil
	}
	for _, n := range res.AST.Children {
		cmd, err := instructions.ParseInstruction(n)
		if err != nil {
			continue
		}
		switch c := cmd.(type) {
		case *instructions.Stage:
			if c.Name != "" {
				stages = append(stages, strings.ToLower(c.Name))
			}
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				args = append(args, kv.Key)
			}
		}
	}
	return stages, args
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i > 0 && v == s[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}
