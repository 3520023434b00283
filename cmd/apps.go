package cmd

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/monoctx/monoctx/graph"
)

type appsOptions struct {
	global *globalOptions
	Format string
}

func newAppsCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &appsOptions{global: g}
	c := &cobra.Command{
		Use:   "apps",
		Short: "List the apps: Dockerfile, context and where each was found",
		Example: `  monoctx apps
  monoctx apps --format json | jq -r '.[].name'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(o.Format, "text", "json"); err != nil {
				return err
			}
			s, err := g.load(c.Context(), env)
			if err != nil {
				return err
			}
			return appsRun(env, o, s.g)
		},
	}
	c.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	return c
}

func appsRun(env *Env, o *appsOptions, g *graph.Graph) error {
	if o.Format == "json" {
		apps := g.Apps
		if apps == nil {
			apps = []*graph.App{}
		}
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(apps)
	}
	tw := tabwriter.NewWriter(env.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDOCKERFILE\tCONTEXT\tORIGIN")
	for _, a := range g.Apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Dockerfile, a.Context, a.Origin)
	}
	return tw.Flush()
}

func checkFormat(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return usageErrorf("unknown --format %q (want %v)", got, allowed)
}
