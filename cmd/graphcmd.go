package cmd

import (
	"github.com/spf13/cobra"
)

func newGraphCmd(env *Env, g *globalOptions) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "graph",
		Short: "Show the directory graph: apps and the shared directories their images read",
		Example: `  monoctx graph
  monoctx graph --format dot | dot -Tsvg > graph.svg
  monoctx graph --format mermaid`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json", "dot", "mermaid"); err != nil {
				return err
			}
			s, err := g.load(c.Context(), env)
			if err != nil {
				return err
			}
			return s.g.WriteGraph(env.Out, format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json, dot or mermaid")
	return c
}
