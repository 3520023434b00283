package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

type whyResult struct {
	App    string   `json:"app"`
	Path   string   `json:"path"`
	Input  bool     `json:"input"`
	Rules  []string `json:"rules,omitempty"`
	Reason string   `json:"reason,omitempty"`
	// DefinedAt is where the app's build is defined (file:line).
	DefinedAt string `json:"defined_at,omitempty"`
}

func newWhyCmd(env *Env, g *globalOptions) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "why APP PATH",
		Short: "Say whether PATH is an input of APP, and by which rule",
		Example: `  monoctx why api libs/auth/token.go
  monoctx why services/api/Dockerfile README.md --format json`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			s, a, err := g.loadApp(c.Context(), env, args[0])
			if err != nil {
				return err
			}
			p := s.repoPath(args[1])
			ex := a.Explain(p)
			r := whyResult{App: a.Name, Path: p, Input: ex.Input, Reason: ex.Reason, DefinedAt: a.DefinedAt}
			if !ex.Input {
				if glob, ok := globalRule(s, p); ok {
					r.Input, r.Reason = true, ""
					r.Rules = append(r.Rules, glob)
				}
			}
			for _, rule := range ex.Rules {
				r.Rules = append(r.Rules, rule.String())
			}
			if format == "json" {
				enc := json.NewEncoder(env.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			if r.Input {
				fmt.Fprintf(env.Out, "%s is an input of %s:\n", p, a.Name)
				for _, rule := range r.Rules {
					fmt.Fprintf(env.Out, "  %s\n", rule)
				}
				if a.DefinedAt != "" && a.DefinedAt != a.Dockerfile {
					fmt.Fprintf(env.Out, "(%s is built as defined at %s)\n", a.Name, a.DefinedAt)
				}
				return nil
			}
			fmt.Fprintf(env.Out, "%s is not an input of %s: %s\n", p, a.Name, r.Reason)
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return c
}

func globalRule(s *session, p string) (string, bool) {
	return s.g.Config.GlobalRule(p)
}
